import type { FrameCodec } from '../../src/framing/codec.ts';

/** Bytes from a hex string (spaces are ignored); one chunking of bytes at given offsets. */
export { cutAt, fromHex } from '@socketlab/testkit';

/** Hex of each frame, for readable assertions. */
export const hexes = (frames: readonly Uint8Array[]): string[] =>
  frames.map((f) => Buffer.from(f).toString('hex'));

/** Feeds `pieces` to a fresh decoder as a socket would deliver them, then ends the stream. */
export function decodePieces(codec: FrameCodec, pieces: readonly Uint8Array[]): Buffer[] {
  const decoder = codec.createDecoder();
  const frames: Buffer[] = [];
  for (const piece of pieces) frames.push(...decoder.push(piece));
  decoder.end();
  return frames;
}
