/**
 * Every frame printed in lessons/framing.md, produced by this package's encoder and read back by
 * its parser and assembler, with no sockets. Each line is checked against the bytes the lesson
 * prints: a difference throws, so the lesson and the code cannot drift apart silently.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-frames.ts
 *
 * Used by lessons/framing.md.
 */
import {
  encodeClose,
  encodeFrame,
  FrameParser,
  type FrameParser as FrameParserType,
  MessageAssembler,
  maskPayload,
  type WebSocketError,
} from '../src/index.ts';

/** Bytes as lower-case hex pairs separated by spaces: `81 05 43`. */
function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}

/** Prints `label: bytes` and throws when they are not `expected`. */
function show(label: string, bytes: Uint8Array, expected: string): void {
  const got = hex(bytes);
  console.log(`${label.padEnd(44)} ${got}`);
  if (got !== expected) throw new Error(`${label}: expected ${expected}, got ${got}`);
}

/** Throws unless `actual` is `expected` (a value the lesson states in words). */
function check(label: string, actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  console.log(`${label.padEnd(44)} ${a}`);
  if (a !== JSON.stringify(expected))
    throw new Error(`${label}: expected ${JSON.stringify(expected)}`);
}

/** The error `push()` throws for `bytes`, as `code closeCode`. */
function failure(parser: FrameParserType, bytes: number[], assembler?: MessageAssembler): string {
  try {
    for (const frame of parser.push(Buffer.from(bytes))) assembler?.push(frame);
  } catch (err) {
    const e = err as WebSocketError;
    return `${e.code} ${e.closeCode}`;
  }
  return 'no error';
}

const frame = (options: Parameters<typeof encodeFrame>[0]): Buffer =>
  Buffer.concat(encodeFrame(options));
const cafe = Buffer.from('Café');
const key = Buffer.from([0x3c, 0x9a, 0xe1, 0x07]);

console.log('— one text message, both directions');
show('"Café" as UTF-8', cafe, '43 61 66 c3 a9');
const clientFrame = frame({ opcode: 1, payload: cafe, mask: key });
show('client → server, key 3c 9a e1 07', clientFrame, '81 85 3c 9a e1 07 7f fb 87 c4 95');
const serverFrame = frame({ opcode: 1, payload: cafe });
show('server → client', serverFrame, '81 05 43 61 66 c3 a9');
const [read] = new FrameParser({ role: 'server' }).push(Buffer.from(clientFrame));
show('the server parses and unmasks it', read?.payload ?? Buffer.alloc(0), '43 61 66 c3 a9');

console.log('— the three length forms (binary, unmasked; header bytes only)');
for (const [length, header] of [
  [125, '82 7d'],
  [126, '82 7e 00 7e'],
  [65535, '82 7e ff ff'],
  [65536, '82 7f 00 00 00 00 00 01 00 00'],
] as const) {
  const bytes = frame({ opcode: 2, payload: Buffer.alloc(length) });
  show(`${length} bytes`, bytes.subarray(0, bytes.length - length), header);
}
show(
  '200 bytes, masked: MASK bit + 126',
  frame({ opcode: 2, payload: Buffer.alloc(200), mask: key }).subarray(0, 8),
  '82 fe 00 c8 3c 9a e1 07',
);
const [loose] = new FrameParser({ role: 'client' }).push(
  Buffer.from([0x82, 0x7e, 0x00, 0x05, 1, 2, 3, 4, 5]),
);
show(
  'non-minimal 82 7e 00 05 …: accepted, payload',
  loose?.payload ?? Buffer.alloc(0),
  '01 02 03 04 05',
);

console.log('— masking a payload that arrives in pieces');
show('masked payload on the wire', clientFrame.subarray(6), '7f fb 87 c4 95');
show(
  'its bytes 2–4 unmasked alone (offset 2)',
  maskPayload(Buffer.from(clientFrame.subarray(8)), key, 2),
  '66 c3 a9',
);

console.log('— "Café" in two fragments, cut inside "é", a ping between them');
const first = frame({ opcode: 1, fin: false, payload: cafe.subarray(0, 4), mask: key });
const ping = frame({
  opcode: 9,
  payload: Buffer.from('hb'),
  mask: Buffer.from([0x5e, 0x11, 0x8c, 0xf0]),
});
const last = frame({
  opcode: 0,
  payload: cafe.subarray(4),
  mask: Buffer.from([0xa0, 0x0b, 0x4d, 0x72]),
});
show('text, FIN clear, "Caf" + c3', first, '01 84 3c 9a e1 07 7f fb 87 c4');
show('ping "hb"', ping, '89 82 5e 11 8c f0 36 73');
show('continuation, FIN set, a9', last, '80 81 a0 0b 4d 72 09');
show('the server\'s pong "hb"', frame({ opcode: 10, payload: Buffer.from('hb') }), '8a 02 68 62');
const parser = new FrameParser({ role: 'server' });
const assembler = new MessageAssembler();
const events = [first, ping, last].map((bytes) =>
  parser
    .push(Buffer.from(bytes))
    .flatMap((f) => assembler.push(f))
    .map((e) => (e.type === 'text' ? `text ${e.data}` : e.type)),
);
check('what each frame delivers', events, [[], ['ping'], ['text Café']]);

console.log('— close frames');
show('server: close 1000', Buffer.concat(encodeClose(1000)), '88 02 03 e8');
show(
  'client: close 1000, key 3c 9a e1 07',
  Buffer.concat(encodeClose(1000, '', { mask: key })),
  '88 82 3c 9a e1 07 3f 72',
);
show('close 1001 "bye"', Buffer.concat(encodeClose(1001, 'bye')), '88 05 03 e9 62 79 65');
show('close without a code', Buffer.concat(encodeClose()), '88 00');
const closeOf = (bytes: number[]) =>
  new FrameParser({ role: 'client' })
    .push(Buffer.from(bytes))
    .flatMap((f) => new MessageAssembler().push(f));
check('reading 88 00', closeOf([0x88, 0x00]), [{ type: 'close', code: 1005, reason: '' }]);
for (const code of [1004, 1005, 1006, 1015]) {
  let refused = false;
  try {
    encodeClose(code);
  } catch {
    refused = true;
  }
  check(`encodeClose(${code}) refused`, refused, true);
}

console.log('— failures: the error and the close code it asks for');
const server = () => new FrameParser({ role: 'server' });
const client = () => new FrameParser({ role: 'client' });
check(
  'unmasked frame to a server: 81 02',
  failure(server(), [0x81, 0x02]),
  'WEBSOCKET_ERR_PROTOCOL 1002',
);
check('ping of 126 bytes: 89 7e', failure(client(), [0x89, 0x7e]), 'WEBSOCKET_ERR_PROTOCOL 1002');
check('fragmented ping: 09 00', failure(client(), [0x09, 0x00]), 'WEBSOCKET_ERR_PROTOCOL 1002');
check(
  'RSV1 with no extension: c1 00',
  failure(client(), [0xc1, 0x00]),
  'WEBSOCKET_ERR_PROTOCOL 1002',
);
check('opcode 3: 83 00', failure(client(), [0x83, 0x00]), 'WEBSOCKET_ERR_PROTOCOL 1002');
check(
  'text a ed a0, FIN clear: 01 03 61 ed a0',
  failure(client(), [0x01, 0x03, 0x61, 0xed, 0xa0], new MessageAssembler()),
  'WEBSOCKET_ERR_INVALID_UTF8 1007',
);
check(
  '4 GiB announced, limit 1024: 82 7f 00 00 00 01 …',
  failure(
    new FrameParser({ role: 'client', maxPayloadBytes: 1024 }),
    [0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0],
  ),
  'WEBSOCKET_ERR_MESSAGE_TOO_BIG 1009',
);
console.log('every frame matches the lesson');
