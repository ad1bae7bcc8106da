/**
 * Framing benchmarks: decode throughput of the library's codecs against the obvious alternative,
 * a decoder that `Buffer.concat`s what it holds with every chunk, fed the same stream in the same
 * run. The stream is cut in 64 KiB chunks, the size a Node socket usually delivers.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts framing
 */
import { BENCH_QUICK, type BenchRow, compare } from '@socketlab/testkit';
import type { FrameCodec } from '../src/framing/codec.ts';
import { lengthPrefixCodec } from '../src/framing/length-prefix.ts';
import { lineCodec } from '../src/framing/line-codec.ts';

const CHUNK_BYTES = 64 * 1024;

/** The naive u32 decoder: join everything held with each chunk, then cut frames off the front. */
function naiveU32(chunks: readonly Buffer[]): number {
  let held = Buffer.alloc(0);
  let frames = 0;
  for (const chunk of chunks) {
    held = Buffer.concat([held, chunk]);
    while (held.length >= 4) {
      const length = held.readUInt32BE(0);
      if (held.length < 4 + length) break;
      held.subarray(4, 4 + length);
      frames++;
      held = held.subarray(4 + length);
    }
  }
  return frames;
}

/** The naive line decoder: the same joining, then `indexOf('\n')` from the front each time. */
function naiveLines(chunks: readonly Buffer[]): number {
  let held = Buffer.alloc(0);
  let frames = 0;
  for (const chunk of chunks) {
    held = Buffer.concat([held, chunk]);
    for (let newline = held.indexOf(0x0a); newline >= 0; newline = held.indexOf(0x0a)) {
      held.subarray(0, newline);
      frames++;
      held = held.subarray(newline + 1);
    }
  }
  return frames;
}

function ours(codec: FrameCodec, chunks: readonly Buffer[]): number {
  const decoder = codec.createDecoder();
  let frames = 0;
  for (const chunk of chunks) frames += decoder.push(chunk).length;
  decoder.end();
  return frames;
}

/** `count` frames of `size` bytes, encoded, then cut in 64 KiB chunks. */
function stream(codec: FrameCodec, size: number, count: number): Buffer[] {
  const payload = Buffer.alloc(size, 0x61);
  const wire = Buffer.concat(Array.from({ length: count }, () => codec.encode(payload)));
  const chunks: Buffer[] = [];
  for (let at = 0; at < wire.length; at += CHUNK_BYTES) {
    chunks.push(Buffer.from(wire.subarray(at, at + CHUNK_BYTES)));
  }
  return chunks;
}

interface Case {
  name: string;
  codec: FrameCodec;
  size: number;
  naive: (chunks: readonly Buffer[]) => number;
}

/** Benchmark rows: MB/s and frames/s for each frame size, ours against the naive decoder. */
export async function rows(): Promise<BenchRow[]> {
  const streamBytes = BENCH_QUICK ? 2 * 1024 * 1024 : 8 * 1024 * 1024;
  const cases: Case[] = [
    { name: 'u32-32B', codec: lengthPrefixCodec(), size: 32, naive: naiveU32 },
    { name: 'u32-64KiB', codec: lengthPrefixCodec(), size: 64 * 1024, naive: naiveU32 },
    { name: 'u32-1MiB', codec: lengthPrefixCodec(), size: 1024 * 1024, naive: naiveU32 },
    { name: 'line-32B', codec: lineCodec(), size: 32, naive: naiveLines },
  ];
  const out: BenchRow[] = [];
  for (const c of cases) {
    const count = Math.max(1, Math.floor(streamBytes / c.size));
    const chunks = stream(c.codec, c.size, count);
    const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    if (ours(c.codec, chunks) !== count || c.naive(chunks) !== count) {
      throw new Error(`framing bench ${c.name}: a decoder did not find ${count} frames`);
    }
    // Warm both up (JIT) before measuring; one operation decodes the whole stream once.
    for (let i = 0; i < 5; i++) {
      ours(c.codec, chunks);
      c.naive(chunks);
    }
    const row = await compare(
      `framing-decode-${c.name}`,
      'MB/s',
      {
        name: 'socketlab',
        run: (n) => {
          for (let i = 0; i < n; i++) ours(c.codec, chunks);
        },
      },
      {
        name: 'naive-concat',
        run: (n) => {
          for (let i = 0; i < n; i++) c.naive(chunks);
        },
      },
      { batch: 1, budgetMs: BENCH_QUICK ? 100 : 1_000, maxBatches: 10_000 },
    );
    const toMb = (perSecond: number): number => (perSecond * bytes) / 1e6;
    const toFrames = (perSecond: number): number => perSecond * count;
    out.push(
      { ...row, value: toMb(row.value), baselineValue: toMb(row.baselineValue) },
      {
        ...row,
        bench: `framing-decode-${c.name}-frames`,
        unit: 'frames/s',
        value: toFrames(row.value),
        baselineValue: toFrames(row.baselineValue),
      },
    );
  }
  return out;
}
