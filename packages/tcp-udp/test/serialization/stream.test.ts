import { everySplit } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import {
  decodeJson,
  decodeTextRecord,
  defineStruct,
  encodeJson,
  encodeTextRecord,
  type FrameCodec,
  lengthPrefixCodec,
  lineCodec,
  varintCodec,
} from '../../src/index.ts';

// On a stream, a serialization format rides inside a framing: the frame says where a message
// ends, the format says what it means. Whatever way the stream is cut, the values are the same.

const reading = defineStruct({
  id: 'u32',
  temp: 'f64',
  ok: 'bool',
  name: { type: 'string', maxBytes: 32 },
});
const textSchema = { id: 'int', temp: 'float', ok: 'bool', name: 'string' } as const;
const values = [
  { id: 1, temp: 21.5, ok: true, name: 'kitchen' },
  { id: 2, temp: -0.1, ok: false, name: 'a b\nc\\d' },
  { id: 4294967295, temp: 1e300, ok: true, name: 'Küche 😀' },
];

/** Frames `payloads` with `codec`, then decodes the stream as delivered in `pieces`. */
function deliver(codec: FrameCodec, pieces: readonly Uint8Array[]): Buffer[] {
  const decoder = codec.createDecoder();
  const frames: Buffer[] = [];
  for (const piece of pieces) decoder.push(piece, frames);
  decoder.end();
  return frames;
}

const formats = [
  {
    name: 'binary structs in u32 length-prefixed frames',
    codec: lengthPrefixCodec(),
    encode: (v: (typeof values)[number]) => reading.encode(v),
    decode: (frame: Buffer) => reading.decode(frame),
  },
  {
    name: 'JSON in varint length-prefixed frames',
    codec: varintCodec(),
    encode: (v: (typeof values)[number]) => Buffer.from(encodeJson(v)),
    decode: (frame: Buffer) => decodeJson(frame),
  },
  {
    name: 'key=value records in lines',
    codec: lineCodec(),
    encode: (v: (typeof values)[number]) => Buffer.from(encodeTextRecord(v).slice(0, -1)),
    decode: (frame: Buffer) => decodeTextRecord(frame.toString('utf8'), textSchema),
  },
];

describe('serialization over a byte stream', () => {
  it.each(formats)(
    'decodes $name the same at every split and byte by byte',
    ({ codec, encode, decode }) => {
      const stream = Buffer.concat(values.map((v) => codec.encode(encode(v))));
      let deliveries = 0;
      for (const pieces of everySplit(stream)) {
        const decoded = deliver(codec, pieces).map(decode);
        expect(decoded, `delivered in ${pieces.length} pieces`).toEqual(values);
        deliveries++;
      }
      expect(deliveries).toBe(stream.length + 2);
    },
  );
});
