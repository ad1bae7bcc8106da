/**
 * The message the serialization lesson, example and benchmark share: one sensor reading, as a
 * binary struct schema and as a typed key=value text schema.
 */
import { defineStruct } from '../src/index.ts';

/** The binary layout: 4 + 2 + 8 + 8 + 1 + (2 + up to 32) bytes, big-endian. */
export const reading = defineStruct({
  id: 'u32',
  seq: 'u16',
  temp: 'f64',
  humidity: 'f64',
  ok: 'bool',
  name: { type: 'string', maxBytes: 32 },
});

/** The same fields for the key=value text format. */
export const textSchema = {
  id: 'int',
  seq: 'int',
  temp: 'float',
  humidity: 'float',
  ok: 'bool',
  name: 'string',
} as const;
