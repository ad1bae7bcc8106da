/**
 * Serialization: encode + decode of one sensor reading with the binary struct codec, the
 * key=value text format and checked JSON, each against plain JSON.stringify + JSON.parse, and
 * the bytes each puts on the wire; and one small fixed-size struct written and read in place
 * (encodeInto / decodeFrom) against the same four fields written by hand with a DataView.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts serialization
 */
import { type BenchRow, compare } from '@socketlab/testkit';
import { reading, textSchema } from '../examples/sensor-reading.ts';
import {
  decodeJson,
  decodeTextRecord,
  defineStruct,
  encodeJson,
  encodeTextRecord,
} from '../src/index.ts';

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

/** A small fixed-size record, as a game or telemetry protocol sends many of per message. */
const point = defineStruct({ id: 'u32', seq: 'u16', x: 'f32', y: 'f32' });
const POINT_BYTES = 14;
/** Records per batch item: a 1,400-byte buffer of 100 points, written or read in turn. */
const POINTS = 100;
const pointBuffer = new Uint8Array(POINT_BYTES * POINTS);
const pointView = new DataView(pointBuffer.buffer);
const pointValue = { id: 7, seq: 0, x: 1.5, y: -2.25 };

/** The same record by hand: four DataView calls, no checks. */
function writePointByHand(view: DataView, at: number, p: typeof pointValue): number {
  view.setUint32(at, p.id);
  view.setUint16(at + 4, p.seq);
  view.setFloat32(at + 6, p.x);
  view.setFloat32(at + 10, p.y);
  return POINT_BYTES;
}

async function pointRows(): Promise<BenchRow[]> {
  for (let i = 0; i < POINTS; i++) point.encodeInto(pointValue, pointBuffer, i * POINT_BYTES);
  const encodeRow = await compare(
    'struct-encodeInto-14B',
    'records/s',
    {
      name: 'encodeInto',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          pointValue.seq = i & 0xffff;
          let at = 0;
          for (let k = 0; k < POINTS; k++) at += point.encodeInto(pointValue, pointBuffer, at);
        }
      },
    },
    {
      name: 'DataView by hand',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          pointValue.seq = i & 0xffff;
          let at = 0;
          for (let k = 0; k < POINTS; k++) at += writePointByHand(pointView, at, pointValue);
        }
      },
    },
    { batch: 100 },
  );
  const decodeRow = await compare(
    'struct-decodeFrom-14B',
    'records/s',
    {
      name: 'decodeFrom',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          let at = 0;
          for (let k = 0; k < POINTS; k++) {
            const r = point.decodeFrom(pointBuffer, at);
            sink += r.value.seq;
            at += r.bytesRead;
          }
        }
      },
    },
    {
      name: 'DataView by hand',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          let at = 0;
          for (let k = 0; k < POINTS; k++) {
            const value = {
              id: pointView.getUint32(at),
              seq: pointView.getUint16(at + 4),
              x: pointView.getFloat32(at + 6),
              y: pointView.getFloat32(at + 10),
            };
            sink += value.seq;
            at += POINT_BYTES;
          }
        }
      },
    },
    { batch: 100 },
  );
  // compare() counts batch items; each item is POINTS records.
  return [encodeRow, decodeRow].map((row) => ({
    ...row,
    value: row.value * POINTS,
    baselineValue: row.baselineValue * POINTS,
  }));
}

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
  const points = await pointRows();
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
    ...points,
    sizeRow('serialization-struct-size', reading.byteLength(message)),
    sizeRow('serialization-text-size', Buffer.byteLength(encodeTextRecord(message))),
  ];
}
