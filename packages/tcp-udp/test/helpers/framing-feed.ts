import type { FrameCodec } from '../../src/framing/codec.ts';

/** Bytes from a hex string; spaces are ignored, so fixtures can show the header apart. */
export { fromHex } from '@socketlab/testkit';

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

/** Cuts `bytes` at the given offsets (taken modulo its length, sorted): one arbitrary chunking. */
export function cutAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [
    ...new Set(offsets.map((o) => (bytes.length === 0 ? 0 : o % (bytes.length + 1)))),
  ].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const at of cuts) {
    pieces.push(bytes.subarray(from, at));
    from = at;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}
