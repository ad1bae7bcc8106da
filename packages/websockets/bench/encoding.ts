/**
 * Message encodings (W5): bytes per message and encode+decode round trips per second of the
 * schema codec and MessagePack, each against JSON in the same run, on three messages every
 * real-time app sends: a chat message, a game snapshot of 50 entities, a small ack. Every codec
 * encodes the same `{ event, args: [value] }` message. Pure CPU, one process; BENCH_QUICK=1
 * takes about two seconds.
 *   pnpm exec tsx --conditions=@socketlab/source bench/index.ts encoding
 */
import { type BenchRow, compare } from '@socketlab/testkit';
import {
  createJsonCodec,
  createMsgpackCodec,
  createSchemaCodec,
  listOf,
  type MessageCodec,
} from '../src/realtime/index.ts';

const schema = createSchemaCodec({
  chat: {
    id: 1,
    fields: {
      room: { type: 'string', maxBytes: 64 },
      from: { type: 'string', maxBytes: 32 },
      text: { type: 'string', maxBytes: 2000 },
      sentAt: 'f64',
    },
  },
  snapshot: {
    id: 2,
    fields: {
      tick: 'u32',
      entities: listOf(
        { id: 'u16', x: 'f32', y: 'f32', vx: 'f32', vy: 'f32', hp: 'u8' },
        { maxItems: 256 },
      ),
    },
  },
  ack: { id: 3, fields: { seq: 'u32', ok: 'bool' } },
});

const MESSAGES = {
  chat: {
    event: 'chat',
    args: [
      {
        room: 'lobby',
        from: 'ada',
        text: 'Anyone up for a game? I am on the east server.',
        sentAt: 1_764_800_000_123,
      },
    ],
  },
  'snapshot-50': {
    event: 'snapshot',
    args: [
      {
        tick: 123_456,
        entities: Array.from({ length: 50 }, (_, i) => ({
          id: i + 1,
          x: Math.fround(100 + i * 13.25),
          y: Math.fround(200 - i * 7.5),
          vx: Math.fround(0.5 * (i % 3)),
          vy: Math.fround(-0.25 * (i % 5)),
          hp: 100 - i,
        })),
      },
    ],
  },
  ack: { event: 'ack', args: [{ seq: 4_021, ok: true }] },
} as const;

const roundTrip = (codec: MessageCodec<unknown>, message: unknown) => ({
  name: codec.name,
  run(iterations: number) {
    let sink = 0;
    for (let i = 0; i < iterations; i++)
      sink += (codec.decode(codec.encode(message)) as object) ? 1 : 0;
    return sink;
  },
});

export async function rows(): Promise<BenchRow[]> {
  const json = createJsonCodec();
  const others: MessageCodec<unknown>[] = [schema as MessageCodec<unknown>, createMsgpackCodec()];
  const out: BenchRow[] = [];
  for (const [label, message] of Object.entries(MESSAGES)) {
    const jsonBytes = json.encode(message).byteLength;
    for (const codec of others) {
      const bytes = codec.encode(message).byteLength;
      out.push({
        bench: `encoding-${label}-size-${codec.name}`,
        unit: 'bytes/message (lower is better)',
        value: bytes,
        baseline: 'json',
        baselineValue: jsonBytes,
        ratio: bytes / jsonBytes,
      });
    }
    for (const codec of others) {
      out.push(
        await compare(
          `encoding-${label}-roundtrip-${codec.name}`,
          'encode+decode/s',
          roundTrip(codec, message),
          roundTrip(json, message),
          { batch: label === 'snapshot-50' ? 100 : 1_000 },
        ),
      );
    }
  }
  return out;
}
