import type { HeadReader } from '../../src/handshake/head-reader.ts';

/**
 * Feeds `pieces` to a fresh reader until the head is complete; returns the head and every byte
 * that followed it (the rest of the completing chunk plus the pieces not fed), or the error thrown.
 */
export function readPieces<Head>(
  reader: HeadReader<Head>,
  pieces: readonly Uint8Array[],
): { head: Head; rest: Buffer } | { error: unknown } {
  try {
    for (const [i, piece] of pieces.entries()) {
      const result = reader.push(piece);
      if (result)
        return { head: result.head, rest: Buffer.concat([result.rest, ...pieces.slice(i + 1)]) };
    }
    reader.end();
    return { error: new Error('end() returned although the head was incomplete') };
  } catch (error) {
    return { error };
  }
}
