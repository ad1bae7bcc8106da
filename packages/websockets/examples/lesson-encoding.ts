/**
 * The bytes lessons/binary-protocols.md shows: one ack and one chat message in JSON,
 * MessagePack and the schema codec, a Socket.IO packet through the schema parser, and what
 * each decoder says to a hostile length.
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-encoding.ts
 */
import { encodeVarint } from '@socketlab/tcp-udp';
import {
  createJsonCodec,
  createMsgpackCodec,
  createSchemaCodec,
  createSocketIoParser,
  type MessageCodec,
  type RealtimeError,
} from '@socketlab/websockets/realtime';

const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');

const schema = createSchemaCodec({
  chat: {
    id: 1,
    fields: { room: { type: 'string', maxBytes: 64 }, text: { type: 'string', maxBytes: 2000 } },
  },
  ack: { id: 4, fields: { seq: 'u32', ok: 'bool' } },
});
const codecs: MessageCodec<unknown>[] = [
  createJsonCodec(),
  createMsgpackCodec(),
  schema as MessageCodec<unknown>,
];

for (const message of [
  { event: 'ack', args: [{ seq: 300, ok: true }] },
  { event: 'chat', args: [{ room: 'lobby', text: 'hi' }] },
]) {
  console.log(`${JSON.stringify(message)}`);
  for (const codec of codecs) {
    const bytes = codec.encode(message);
    console.log(
      `  ${codec.name.padEnd(8)} ${String(bytes.byteLength).padStart(3)} B  ${hex(bytes)}`,
    );
  }
}

const { Encoder } = createSocketIoParser(schema);
const [packet] = new Encoder().encode({
  type: 2,
  nsp: '/',
  data: ['ack', { seq: 300, ok: true }],
  id: 7,
});
console.log(`socket.io packet, schema parser, ack id 7: ${hex(packet as Uint8Array)}`);

console.log(
  `varint 1: ${hex(encodeVarint(1))}; 300: ${hex(encodeVarint(300))}; 2^32-1: ${hex(encodeVarint(2 ** 32 - 1))}`,
);

const hostile: [MessageCodec<unknown>, number[]][] = [
  [codecs[1] as MessageCodec<unknown>, [0xdd, 0xff, 0xff, 0xff, 0xff]],
  [codecs[1] as MessageCodec<unknown>, [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61]],
  [codecs[2] as MessageCodec<unknown>, [0x00, 0x01, 0x01, 0xff, 0xff]],
];
for (const [codec, bytes] of hostile) {
  try {
    codec.decode(Uint8Array.from(bytes));
  } catch (error) {
    const { code, message } = error as RealtimeError;
    console.log(`${codec.name} ${hex(Uint8Array.from(bytes))} → ${code}: ${message}`);
  }
}
