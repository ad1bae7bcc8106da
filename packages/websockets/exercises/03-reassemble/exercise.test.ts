import { lessonOf, loadExercise, seededBytes, toHex } from '@socketlab/testkit';
import { describe, it } from 'vitest';

// This spec grades MessageReader with frames as objects, no sockets and no bytes on the wire:
// each scenario pushes frames in order and checks what every push returns, or which push throws
// and with which close code.
type Exercise = typeof import('./exercise.ts');
type Frame = import('./exercise.ts').Frame;
const lesson = lessonOf(import.meta.url);
const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);

const OPCODE_NAMES: Record<number, string> = {
  0: 'continuation',
  1: 'text',
  2: 'binary',
  8: 'close',
  9: 'ping',
  10: 'pong',
};

const bytes = (data: string | Uint8Array): Uint8Array =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** Frames: a final one by default, its payload text (as UTF-8) or bytes. */
const text = (data: string | Uint8Array, fin = true): Frame => ({
  fin,
  opcode: 1,
  payload: bytes(data),
});
const binary = (data: string | Uint8Array, fin = true): Frame => ({
  fin,
  opcode: 2,
  payload: bytes(data),
});
const cont = (data: string | Uint8Array, fin = true): Frame => ({
  fin,
  opcode: 0,
  payload: bytes(data),
});
const ping = (data: string | Uint8Array = '', fin = true): Frame => ({
  fin,
  opcode: 9,
  payload: bytes(data),
});
const pong = (data: string | Uint8Array = '', fin = true): Frame => ({
  fin,
  opcode: 10,
  payload: bytes(data),
});
const close = (data: string | Uint8Array = '', fin = true): Frame => ({
  fin,
  opcode: 8,
  payload: bytes(data),
});

/** What a push should return, as the spec writes it: `undefined`, or a message in short form. */
type Want =
  | undefined
  | { text: string }
  | { binary: string }
  | { ping: string }
  | { pong: string }
  | { close: string };

/** Shows a payload: hex, and the text when it is printable ASCII. */
function showPayload(payload: Uint8Array): string {
  if (payload.length === 0) return '(empty)';
  const h = toHex(payload.subarray(0, 24)).replace(/(..)/g, '$1 ').trim();
  const more = payload.length > 24 ? ` … (${payload.length} bytes)` : '';
  const ascii = Buffer.from(payload).toString('latin1');
  return /^[\x20-\x7e]*$/.test(ascii) && payload.length <= 24 ? `${h} "${ascii}"` : `${h}${more}`;
}

const showFrame = (f: Frame): string =>
  `{ fin: ${f.fin}, opcode: ${f.opcode} (${OPCODE_NAMES[f.opcode] ?? '?'}), payload: ${showPayload(f.payload)} }`;

function showWant(want: Want): string {
  if (want === undefined) return 'undefined';
  const [type, data] = Object.entries(want)[0] as [string, string];
  return type === 'text'
    ? `{ type: 'text', data: ${JSON.stringify(data)} }`
    : `{ type: '${type}', data: ${showPayload(hex(data))} }`;
}

function showGot(got: unknown): string {
  if (got === undefined) return 'undefined';
  if (got === null || typeof got !== 'object') return String(got);
  const m = got as { type?: unknown; data?: unknown };
  if (typeof m.data === 'string')
    return `{ type: ${JSON.stringify(m.type)}, data: ${JSON.stringify(m.data)} }`;
  if (m.data instanceof Uint8Array)
    return `{ type: ${JSON.stringify(m.type)}, data: ${showPayload(m.data)} }`;
  return JSON.stringify(got);
}

/** True when `got` is the message `want` describes. */
function same(got: unknown, want: Want): boolean {
  if (want === undefined || got === undefined) return got === want;
  if (got === null || typeof got !== 'object') return false;
  const [type, data] = Object.entries(want)[0] as [string, string];
  const m = got as { type?: unknown; data?: unknown };
  if (m.type !== type) return false;
  if (type === 'text') return m.data === data;
  return m.data instanceof Uint8Array && toHex(m.data) === data;
}

interface Scenario {
  name: string;
  frames: Frame[];
  /** What each push returns, up to the one that throws (if any). */
  want: Want[];
  /** The push (0-based) that must throw, and its close code. */
  throws?: { at: number; closeCode: number };
  options?: { maxMessageBytes?: number };
  /** Why, and the section to read, for a failure message. */
  why: string;
  section: string;
}

/** Pushes a scenario's frames into a fresh reader and fails with all of it shown on a miss. */
async function play(s: Scenario): Promise<void> {
  const { MessageReader } = await load();
  const reader = s.options ? new MessageReader(s.options) : new MessageReader();
  const log: string[] = [];
  const fail = (what: string): never => {
    const expected = s.frames
      .map((f, i) => {
        if (s.throws?.at === i)
          return `  push ${i + 1}: ${showFrame(f)}\n          → throws, closeCode ${s.throws.closeCode}`;
        if (s.throws && i > s.throws.at) return undefined;
        return `  push ${i + 1}: ${showFrame(f)}\n          → ${showWant(s.want[i])}`;
      })
      .filter(Boolean)
      .join('\n');
    throw new Error(
      `${what}\nwhat came back:\n${log.join('\n')}\nexpected${s.options?.maxMessageBytes !== undefined ? ` (maxMessageBytes ${s.options.maxMessageBytes})` : ''}:\n${expected}\n${s.why}. ${lesson.see(s.section)}`,
    );
  };
  const last = s.throws ? s.throws.at : s.frames.length - 1;
  for (let i = 0; i <= last; i++) {
    const f = s.frames[i] as Frame;
    let got: unknown;
    try {
      got = reader.push(f);
    } catch (error) {
      const err = error as { message?: unknown; closeCode?: unknown };
      const said = `  push ${i + 1}: ${showFrame(f)}\n          → threw ${error instanceof Error ? `${String(err.message)}${err.closeCode === undefined ? ' (no closeCode)' : ` (closeCode ${String(err.closeCode)})`}` : String(error)}`;
      log.push(said);
      if (error instanceof Error && /not implemented yet/.test(error.message)) {
        fail(`push ${i + 1} is still the starter's stub`);
      }
      if (s.throws?.at !== i) {
        fail(
          `push ${i + 1} threw, but ${s.throws && i < s.throws.at ? `the first ${s.throws.at} frames are fine` : 'every frame here is fine'}`,
        );
      }
      if (!(error instanceof Error) || err.closeCode !== s.throws?.closeCode) {
        fail(`push ${i + 1} must throw an Error with closeCode ${s.throws?.closeCode}`);
      }
      return;
    }
    log.push(`  push ${i + 1}: ${showFrame(f)}\n          → ${showGot(got)}`);
    if (s.throws?.at === i) {
      fail(
        `push ${i + 1} returned, but it must throw an Error with closeCode ${s.throws.closeCode} at once`,
      );
    }
    if (!same(got, s.want[i])) fail(`push ${i + 1} returned the wrong thing`);
  }
}

const u = undefined;
const t = (data: string): Want => ({ text: data });
const b = (data: string | Uint8Array): Want => ({ binary: toHex(bytes(data)) });
const c = (type: 'ping' | 'pong' | 'close', data: string | Uint8Array = ''): Want =>
  ({ [type]: toHex(bytes(data)) }) as Want;

describe('03 · MessageReader: messages from fragments', () => {
  it.each<Scenario>([
    {
      name: 'an unfragmented text message (RFC 6455 §5.7: "Hello")',
      frames: [text('Hello')],
      want: [t('Hello')],
      why: 'One frame with FIN set is a whole message; text is returned as a string',
      section: 'Fragments',
    },
    {
      name: 'an unfragmented binary message',
      frames: [binary(hex('00 ff 10 80'))],
      want: [b(hex('00 ff 10 80'))],
      why: 'Binary is returned as the bytes, not decoded (ff and 80 are not UTF-8, and need not be)',
      section: 'Fragments',
    },
    {
      name: 'a fragmented text message (RFC 6455 §5.7: "Hel" + "lo")',
      frames: [text('Hel', false), cont('lo')],
      want: [u, t('Hello')],
      why: 'A frame with FIN clear starts a message, continuation frames (opcode 0) carry the rest, FIN ends it: return nothing until then',
      section: 'Fragments',
    },
    {
      name: 'binary in four fragments, one of them empty',
      frames: [binary('ab', false), cont('', false), cont('cd', false), cont('e')],
      want: [u, u, u, b('abcde')],
      why: 'All the fragments, joined in order; an empty fragment is allowed',
      section: 'Fragments',
    },
    {
      name: 'an empty text message, then an empty first fragment',
      frames: [text(''), text('', false), cont('hi')],
      want: [t(''), u, t('hi')],
      why: 'An empty message is a message',
      section: 'Fragments',
    },
    {
      name: 'three messages in a row (the state resets after each)',
      frames: [text('a', false), cont('b'), binary('cd', false), cont('e'), text('é')],
      want: [u, t('ab'), u, b('cde'), t('é')],
      why: 'After a message ends, the next starts from nothing: its opcode, its fragments, its size and the UTF-8 check are new',
      section: 'Fragments',
    },
  ])('returns $name', (s) => play(s));
});

describe('03 · MessageReader: control frames', () => {
  it.each<Scenario>([
    {
      name: 'a ping and a pong between fragments at once, then the message',
      frames: [text('Hel', false), ping('x'), pong('y'), cont('lo')],
      want: [u, c('ping', 'x'), c('pong', 'y'), t('Hello')],
      why: 'A control frame may come between fragments (RFC 6455 §5.4) and is handled at once: return it from its own push, and keep the message going',
      section: 'Control frames in the middle',
    },
    {
      name: 'a close between fragments at once',
      frames: [binary('ab', false), close(hex('03e8')), cont('cd')],
      want: [u, c('close', hex('03e8')), b('abcd')],
      why: 'A close frame between fragments is returned at once, as it came',
      section: 'Control frames in the middle',
    },
    {
      name: 'control frames outside messages, and one of exactly 125 bytes',
      frames: [ping(), pong(seededBytes(1, 125)), close()],
      want: [c('ping'), c('pong', seededBytes(1, 125)), c('close')],
      why: 'A control frame may carry up to 125 bytes',
      section: 'Control frames in the middle',
    },
    {
      name: 'a message at the limit with 100-byte pings between its fragments',
      frames: [text('Hel', false), ping(seededBytes(2, 100)), cont('lo')],
      want: [u, c('ping', seededBytes(2, 100)), t('Hello')],
      options: { maxMessageBytes: 5 },
      why: 'A control frame is not part of the message: its bytes do not count towards maxMessageBytes',
      section: 'The size limit',
    },
  ])('returns $name', (s) => play(s));

  it.each<Scenario>([
    {
      name: 'a fragmented ping (FIN clear)',
      frames: [ping('x', false)],
      want: [],
      throws: { at: 0, closeCode: 1002 },
      why: '"All control frames MUST ... NOT be fragmented" (RFC 6455 §5.5)',
      section: 'Control frames in the middle',
    },
    {
      name: 'a fragmented close between fragments',
      frames: [text('a', false), close('', false)],
      want: [u],
      throws: { at: 1, closeCode: 1002 },
      why: 'A control frame with FIN clear is a protocol error wherever it comes',
      section: 'Control frames in the middle',
    },
    {
      name: 'a pong of 126 bytes',
      frames: [pong(seededBytes(3, 126))],
      want: [],
      throws: { at: 0, closeCode: 1002 },
      why: '"All control frames MUST have a payload length of 125 bytes or less" (RFC 6455 §5.5)',
      section: 'Control frames in the middle',
    },
  ])('throws 1002 for $name', (s) => play(s));
});

describe('03 · MessageReader: frames out of order', () => {
  it.each<Scenario>([
    {
      name: 'a continuation with no message started',
      frames: [cont('lo')],
      want: [],
      throws: { at: 0, closeCode: 1002 },
      why: 'A continuation frame continues a message: with none open it is a protocol error (RFC 6455 §5.4)',
      section: 'Errors and close codes',
    },
    {
      name: 'a continuation after a message has ended',
      frames: [text('Hel', false), cont('lo'), cont('!')],
      want: [u, t('Hello')],
      throws: { at: 2, closeCode: 1002 },
      why: 'The message ended with FIN: forget it, so a continuation after it has nothing to continue',
      section: 'Errors and close codes',
    },
    {
      name: 'a new text frame while a text message is open',
      frames: [text('a', false), text('b')],
      want: [u],
      throws: { at: 1, closeCode: 1002 },
      why: 'Messages are not interleaved (RFC 6455 §5.4): while one is open, only continuations (and control frames) may come',
      section: 'Errors and close codes',
    },
    {
      name: 'a new binary frame while a text message is open',
      frames: [text('a', false), ping(), binary('b', false)],
      want: [u, c('ping')],
      throws: { at: 2, closeCode: 1002 },
      why: 'A control frame in between does not end the open message',
      section: 'Errors and close codes',
    },
    {
      name: 'a new text frame while a binary message is open',
      frames: [binary('a', false), cont('b', false), text('c')],
      want: [u, u],
      throws: { at: 2, closeCode: 1002 },
      why: 'Messages are not interleaved (RFC 6455 §5.4)',
      section: 'Errors and close codes',
    },
  ])('throws 1002 for $name', (s) => play(s));
});

describe('03 · MessageReader: UTF-8', () => {
  const splits: Scenario[] = [];
  for (const [label, word] of [
    ['"€" (e2 82 ac)', '€'],
    ['"😀" (f0 9f 98 80)', '😀'],
    ['"κόσμε"', 'κόσμε'],
  ] as const) {
    const all = Buffer.from(word, 'utf8');
    for (let at = 1; at < all.length; at++) {
      splits.push({
        name: `${label} split after byte ${at}`,
        frames: [text(all.subarray(0, at), false), cont(all.subarray(at))],
        want: [u, t(word)],
        why: `The split falls inside a character: neither fragment is UTF-8 on its own, the message is. Decode the message, not each fragment (or decode with { stream: true })`,
        section: 'A character split across fragments',
      });
    }
  }
  splits.push({
    name: '"😀" one byte per fragment, with a ping in the middle',
    frames: [
      text(hex('f0'), false),
      cont(hex('9f'), false),
      ping(),
      cont(hex('98'), false),
      cont(hex('80')),
    ],
    want: [u, u, c('ping'), u, t('😀')],
    why: 'Each fragment holds one byte of a 4-byte character',
    section: 'A character split across fragments',
  });
  it.each(splits)('accepts $name', (s) => play(s));

  it.each<Scenario>([
    {
      name: 'a byte that is never UTF-8 (ff)',
      frames: [text(hex('48 65 ff'))],
      want: [],
      throws: { at: 0, closeCode: 1007 },
      why: '0xff never appears in UTF-8 (RFC 3629)',
      section: 'Text must be UTF-8',
    },
    {
      name: 'an overlong "/" (c0 af)',
      frames: [text(hex('c0 af'))],
      want: [],
      throws: { at: 0, closeCode: 1007 },
      why: 'An overlong form is not UTF-8 (RFC 3629 §3): decode strictly, never with replacement characters',
      section: 'Text must be UTF-8',
    },
    {
      name: 'a surrogate (ed a0 80)',
      frames: [text(hex('ed a0 80'))],
      want: [],
      throws: { at: 0, closeCode: 1007 },
      why: 'U+D800–U+DFFF are not characters, so not UTF-8 (RFC 3629 §3)',
      section: 'Text must be UTF-8',
    },
    {
      name: 'a code point past U+10FFFF (f4 90 80 80)',
      frames: [text(hex('f4 90 80 80'))],
      want: [],
      throws: { at: 0, closeCode: 1007 },
      why: 'UTF-8 stops at U+10FFFF (RFC 3629 §3)',
      section: 'Text must be UTF-8',
    },
    {
      name: 'a message that ends inside a character (48 e2 82)',
      frames: [text(hex('48'), false), cont(hex('e2 82'))],
      want: [u],
      throws: { at: 1, closeCode: 1007 },
      why: 'The last fragment ends 1 byte short of "€": the message is not UTF-8 (finish the check at FIN)',
      section: 'Text must be UTF-8',
    },
    {
      name: 'invalid bytes in the last fragment',
      frames: [text('Hel', false), cont(hex('6c ff'))],
      want: [u],
      throws: { at: 1, closeCode: 1007 },
      why: 'The whole message must be UTF-8',
      section: 'Text must be UTF-8',
    },
  ])('throws 1007 for $name', (s) => play(s));

  it.each<Scenario>([
    {
      name: 'the first fragment holds ff',
      frames: [text(hex('48 65 ff'), false), cont('lo')],
      want: [],
      throws: { at: 0, closeCode: 1007 },
      why: 'The message is still open, but no later fragment can make it UTF-8: fail now, not at FIN (RFC 6455 §8.1: "MUST ... _Fail the WebSocket Connection_" as soon as it is found)',
      section: 'Checking as it arrives',
    },
    {
      name: 'a middle fragment holds an overlong c0 af',
      frames: [text('Hel', false), cont(hex('c0 af'), false), cont('lo')],
      want: [u],
      throws: { at: 1, closeCode: 1007 },
      why: 'The second fragment already proves the text invalid: fail at that push',
      section: 'Checking as it arrives',
    },
    {
      name: 'the first fragment holds a surrogate (ed a0 80)',
      frames: [text(hex('ed a0 80 41'), false), cont('lo')],
      want: [],
      throws: { at: 0, closeCode: 1007 },
      why: 'Fail at the first fragment that proves the text invalid',
      section: 'Checking as it arrives',
    },
  ])('throws 1007 at once when $name (fail fast)', (s) => play(s));

  it('does not check binary messages as UTF-8', () =>
    play({
      name: 'binary',
      frames: [binary(hex('ff c0'), false), cont(hex('af ed a0'))],
      want: [u, b(hex('ff c0 af ed a0'))],
      why: 'Only text messages must be UTF-8; binary ones are any bytes',
      section: 'Text must be UTF-8',
    }));
});

describe('03 · MessageReader: maxMessageBytes', () => {
  it.each<Scenario>([
    {
      name: 'accepts a message of exactly maxMessageBytes, in fragments',
      frames: [binary('abcd', false), cont('efghij')],
      want: [u, b('abcdefghij')],
      options: { maxMessageBytes: 10 },
      why: 'A message of exactly the limit is allowed: refuse only a larger one',
      section: 'The size limit',
    },
    {
      name: 'counts each message from zero',
      frames: [
        text('12345678'),
        binary('abcd', false),
        cont('efgh'),
        text('123456', false),
        cont('78'),
      ],
      want: [t('12345678'), u, b('abcdefgh'), u, t('12345678')],
      options: { maxMessageBytes: 10 },
      why: 'The limit is per message: reset the count when a message ends',
      section: 'The size limit',
    },
    {
      name: 'accepts a 1 MiB message when no limit is given (16 MiB)',
      frames: [binary(seededBytes(4, 512 * 1024), false), cont(seededBytes(5, 512 * 1024))],
      want: [u, b(Buffer.concat([seededBytes(4, 512 * 1024), seededBytes(5, 512 * 1024)]))],
      why: 'The default limit is 16 MiB',
      section: 'The size limit',
    },
  ])('$name', (s) => play(s));

  it.each<Scenario>([
    {
      name: 'one frame of 11 bytes with a 10-byte limit',
      frames: [text('12345678901')],
      want: [],
      throws: { at: 0, closeCode: 1009 },
      options: { maxMessageBytes: 10 },
      why: 'The message is over maxMessageBytes (RFC 6455 §7.4.1: 1009, "too big to process")',
      section: 'The size limit',
    },
    {
      name: 'two 6-byte fragments of an open message with a 10-byte limit',
      frames: [binary('123456', false), cont('789012', false), cont('3')],
      want: [u],
      throws: { at: 1, closeCode: 1009 },
      options: { maxMessageBytes: 10 },
      why: 'Count the whole message, not each frame, and throw as soon as it passes the limit: the message is still open, and waiting for its end is what the limit is there to prevent',
      section: 'The size limit',
    },
  ])('throws 1009 for $name, as soon as it passes', (s) => play(s));
});
