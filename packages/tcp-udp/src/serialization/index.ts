/**
 * Serialization (T6): key=value text records, bounded checked JSON, binary structs.
 *
 * Other areas import this area only through this file. It exports what the package entry
 * makes public and what sibling areas need; `src/index.ts` chooses the public names.
 */
export {
  DEFAULT_JSON_MAX_BYTES,
  DEFAULT_JSON_MAX_DEPTH,
  decodeJson,
  encodeJson,
  type JsonDecodeOptions,
  type JsonLimits,
} from './json.ts';
export {
  defineStruct,
  type StructCodec,
  type StructDecodeResult,
  type StructOptions,
} from './struct.ts';
export {
  STRUCT_MAX_ARRAY_LENGTH,
  STRUCT_MAX_VARIABLE_BYTES,
  STRUCT_SCALAR_BYTES,
  type StructArrayField,
  type StructBytesField,
  type StructField,
  type StructFieldValue,
  type StructScalarType,
  type StructScalarValue,
  type StructSchema,
  type StructStringField,
  type StructValue,
} from './struct-schema.ts';
export {
  DEFAULT_TEXT_MAX_FIELDS,
  DEFAULT_TEXT_MAX_LINE_LENGTH,
  encodeTextRecord,
  parseTextRecord,
  TEXT_KEY_PATTERN,
  type TextRecordOptions,
  type TextRecordValue,
} from './text.ts';
export {
  decodeTextRecord,
  type TextFieldKind,
  type TextSchema,
  type TextValue,
} from './text-typed.ts';
