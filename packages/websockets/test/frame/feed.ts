/** Helpers for the frame codec's tests: feeding pieces, showing frames, seeded randomness. */
import { toHex } from '@socketlab/testkit';
import type { WebSocketError } from '../../src/errors.ts';
import type { MessageAssemblerEvent } from '../../src/frame/assembler.ts';
import { MessageAssembler, type MessageAssemblerOptions } from '../../src/frame/assembler.ts';
import { type Frame, FrameParser, type FrameParserOptions } from '../../src/frame/parser.ts';

/** A frame as the fixtures write it: the flags that are set, the opcode, the payload in hex. */
export interface ShownFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: string;
  rsv?: string;
}

/** A frame in the fixtures' shape. */
export function showFrame(frame: Frame): ShownFrame {
  const rsv = [frame.rsv1 && 'rsv1', frame.rsv2 && 'rsv2', frame.rsv3 && 'rsv3'].filter(Boolean);
  return {
    fin: frame.fin,
    opcode: frame.opcode,
    masked: frame.masked,
    payload: toHex(frame.payload),
    ...(rsv.length > 0 ? { rsv: rsv.join(' ') } : {}),
  };
}

/** What feeding a stream produced: the frames (or events) before any error, and the error. */
export interface Outcome<T> {
  items: T[];
  error?: { code: string; closeCode: number | undefined };
  /** How many bytes had been pushed when the error was thrown (the piece that threw included). */
  errorAfter?: number;
}

function caught(err: unknown): { code: string; closeCode: number | undefined } {
  const e = err as WebSocketError;
  if (typeof e?.code !== 'string') throw err;
  return { code: e.code, closeCode: e.closeCode };
}

/**
 * Feeds `pieces` to a fresh parser, each piece copied first (the parser unmasks in place, and the
 * pieces of one split share their bytes with the next split's).
 */
export function parsePieces(
  options: FrameParserOptions,
  pieces: readonly Uint8Array[],
): Outcome<ShownFrame> {
  const parser = new FrameParser(options);
  const frames: Frame[] = [];
  let pushed = 0;
  for (const piece of pieces) {
    pushed += piece.length;
    try {
      parser.push(Buffer.from(piece), frames);
    } catch (err) {
      return { items: frames.map(showFrame), error: caught(err), errorAfter: pushed };
    }
  }
  return { items: frames.map(showFrame) };
}

/** An event as the fixtures write it: binary data in hex. */
export type ShownEvent =
  | { type: 'text'; data: string }
  | { type: 'binary' | 'ping' | 'pong'; hex: string }
  | { type: 'close'; code: number; reason: string };

function showEvent(event: MessageAssemblerEvent): ShownEvent {
  if (event.type === 'text' || event.type === 'close') return event;
  return { type: event.type, hex: toHex(event.data) };
}

/**
 * Feeds `pieces` to a fresh parser and assembler (pieces copied, as in {@link parsePieces});
 * `wired` passes the parser's `partialPayload` to `assembler.pushPiece()` (fail fast in a frame).
 */
export function assemblePieces(
  parserOptions: FrameParserOptions,
  assemblerOptions: MessageAssemblerOptions,
  pieces: readonly Uint8Array[],
  wired = true,
): Outcome<ShownEvent> {
  const assembler = new MessageAssembler(assemblerOptions);
  const parser = new FrameParser(parserOptions);
  const events: MessageAssemblerEvent[] = [];
  let pushed = 0;
  for (const piece of pieces) {
    pushed += piece.length;
    try {
      for (const frame of parser.push(Buffer.from(piece))) assembler.push(frame, events);
      const partial = parser.partialPayload;
      if (wired && partial) assembler.pushPiece(partial.opcode, partial.piece);
    } catch (err) {
      return { items: events.map(showEvent), error: caught(err), errorAfter: pushed };
    }
  }
  return { items: events.map(showEvent) };
}

/** A seeded pseudo-random generator (mulberry32): numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts `bytes` into pieces of random sizes (1 to `maxPiece`), with a few empty pieces. */
export function randomPieces(
  bytes: Uint8Array,
  random: () => number,
  maxPiece: number,
): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (random() < 0.05) pieces.push(bytes.subarray(at, at));
    const size = 1 + Math.floor(random() * maxPiece);
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}
