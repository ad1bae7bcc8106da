/**
 * Serialization: encode + decode of one sensor reading with the binary struct codec, the
 * key=value text format and checked JSON, each against plain JSON.stringify + JSON.parse, and
 * the bytes each puts on the wire.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts serialization
 */
import { type BenchRow, compare } from '@socketlab/testkit';
import { reading, textSchema } from '../examples/sensor-reading.ts';
import { decodeJson, decodeTextRecord, encodeJson, encodeTextRecord } from '../src/index.ts';

const message = { id: 4242, seq: 17, temp: 21.5, humidity: 0.47, ok: true, name: 'kitchen sensor' };

let sink = 0;

const plainJson = {
  name: 'JSON.stringify+parse',
  run: (n: number) => {
    for (let i = 0; i < n; i++) {
      message.seq = i & 0xffff;
      sink += (JSON.parse(JSON.stringify(message)) as typeof message).seq;
    }
  },
};

export async function rows(): Promise<BenchRow[]> {
  const struct = await compare(
    'serialization-struct-roundtrip',
    'msg/s (encode+decode)',
    {
      name: 'defineStruct',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          message.seq = i & 0xffff;
          sink += reading.decode(reading.encode(message)).seq;
        }
      },
    },
    plainJson,
  );
  const text = await compare(
    'serialization-text-roundtrip',
    'msg/s (encode+decode)',
    {
      name: 'encodeTextRecord',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          message.seq = i & 0xffff;
          sink += decodeTextRecord(encodeTextRecord(message), textSchema).seq;
        }
      },
    },
    plainJson,
  );
  const json = await compare(
    'serialization-json-checked',
    'msg/s (encode+decode)',
    {
      name: 'encodeJson+decodeJson',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          message.seq = i & 0xffff;
          sink += decodeJson<typeof message>(encodeJson(message)).seq;
        }
      },
    },
    plainJson,
  );
  if (sink === -1) console.error('unreachable');

  const jsonBytes = Buffer.byteLength(JSON.stringify(message));
  const sizeRow = (bench: string, value: number): BenchRow => ({
    bench,
    unit: 'bytes/msg (lower is better)',
    value,
    baseline: 'JSON.stringify',
    baselineValue: jsonBytes,
    ratio: value / jsonBytes,
  });
  return [
    struct,
    text,
    json,
    sizeRow('serialization-struct-size', reading.byteLength(message)),
    sizeRow('serialization-text-size', Buffer.byteLength(encodeTextRecord(message))),
  ];
}
