/**
 * One sensor reading in three wire formats: key=value text, JSON and a binary struct. Prints
 * each encoding, its size in bytes, and what goes wrong at the edges (floats, NaN, -0).
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/serialization.ts
 */
import {
  decodeJson,
  decodeTextRecord,
  defineStruct,
  encodeJson,
  encodeTextRecord,
  SerializationError,
} from '../src/index.ts';
import { reading, textSchema } from './sensor-reading.ts';

const samples = {
  'sample reading': {
    id: 4242,
    seq: 17,
    temp: 21.5,
    humidity: 0.47,
    ok: true,
    name: 'kitchen sensor',
  },
  'awkward floats': {
    id: 4_294_967_295,
    seq: 65_535,
    temp: 0.1 + 0.2,
    humidity: -1.7976931348623157e308,
    ok: false,
    name: 'Küche – capteur',
  },
};

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

console.log('| message | text (key=value) | JSON | binary struct (BE) |');
console.log('| --- | ---: | ---: | ---: |');
for (const [label, value] of Object.entries(samples)) {
  const text = encodeTextRecord(value);
  const json = encodeJson(value);
  const binary = reading.encode(value);
  console.log(`| ${label} | ${bytes(text)} B | ${bytes(json)} B | ${binary.length} B |`);
  // Every format gives the same value back.
  const back = [decodeTextRecord(text, textSchema), decodeJson(json), reading.decode(binary)];
  for (const decoded of back) {
    if (JSON.stringify(decoded) !== JSON.stringify(value))
      throw new Error(`${label} did not round-trip`);
  }
}
console.log(`\nbinary struct bounds: ${reading.minByteLength} to ${reading.maxByteLength} bytes\n`);

const value = samples['sample reading'];
console.log(`text:   ${JSON.stringify(encodeTextRecord(value))}`);
console.log(`json:   ${encodeJson(value)}`);
console.log(
  `struct: ${Buffer.from(reading.encode(value)).toString('hex').replace(/(..)/g, '$1 ').trim()}`,
);
const le = defineStruct(reading.schema, { littleEndian: true });
console.log(
  `LE:     ${Buffer.from(le.encode(value)).toString('hex').replace(/(..)/g, '$1 ').trim()}`,
);

console.log('\nWhat each format does with awkward values:');
const awkward = { id: 1, seq: 0, temp: Number.NaN, humidity: -0, ok: true, name: '' };
console.log(`  JSON.stringify:   ${JSON.stringify(awkward)}   <- NaN became null, -0 became 0`);
try {
  encodeJson(awkward);
} catch (err) {
  if (!(err instanceof SerializationError)) throw err;
  console.log(`  encodeJson:       ${err.code}: ${err.message}`);
}
console.log(`  encodeTextRecord: ${JSON.stringify(encodeTextRecord(awkward))}`);
const back = reading.decode(reading.encode(awkward));
console.log(
  `  binary struct:    temp=${back.temp} humidity=${Object.is(back.humidity, -0) ? '-0' : back.humidity}`,
);
try {
  reading.encode({ ...awkward, seq: 70_000 });
} catch (err) {
  if (!(err instanceof SerializationError)) throw err;
  console.log(`  struct, seq=70000: ${err.message}`);
}
