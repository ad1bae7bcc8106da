/**
 * An event-message codec from a schema per event: `{ event, args: [value] }` as a 3-byte header
 * (event id, version) and the value's fields, written by stage 2's binary structs.
 */
import { checkInteger } from '@socketlab/internal';
import {
  defineStruct,
  type StructCodec,
  type StructSchema,
  type StructValue,
} from '@socketlab/tcp-udp';
import {
  asEncodingError,
  DEFAULT_CODEC_MAX_MESSAGE_BYTES,
  encodingError,
  type MessageCodec,
  toEncodingError,
} from './codec.ts';
import {
  type EventMessage,
  type EventSchemas,
  type ListField,
  type MessageField,
  SCHEMA_MAX_LIST_ITEMS,
} from './schema.ts';

/** Bytes of the header: the event id (u16, big-endian), then the version (u8). */
export const SCHEMA_HEADER_BYTES = 3;

/** Options of {@link createSchemaCodec}. */
export interface SchemaCodecOptions {
  /** The largest message, in bytes, checked first when decoding. @default 1_000_000 */
  readonly maxMessageBytes?: number;
  /** Write the fields' multi-byte numbers little-endian (the header stays big-endian). @default false */
  readonly littleEndian?: boolean;
}

/** A codec made by {@link createSchemaCodec}. */
export interface SchemaCodec<E extends EventSchemas = EventSchemas>
  extends MessageCodec<EventMessage<E>> {
  /** The event names, in the order given. */
  readonly events: readonly (keyof E & string)[];
  /** True when `event` has a schema here. */
  hasEvent(event: string): boolean;
}

/** One part of an event on the wire: a run of plain fields as one struct, or a list. */
type Part =
  | { readonly kind: 'struct'; readonly codec: StructCodec<StructSchema> }
  | {
      readonly kind: 'list';
      readonly name: string;
      readonly item: StructCodec<StructSchema>;
      readonly maxItems: number;
    };

/** A value of any struct: the codecs check its fields as they encode. */
type AnyStruct = StructValue<StructSchema>;

interface CompiledEvent {
  readonly name: string;
  readonly id: number;
  readonly version: number;
  readonly parts: readonly Part[];
}

/**
 * Makes a binary codec for events with a schema each. A message is a header (the event's id as
 * a big-endian u16, its version as a u8) and the value's fields in schema order, with no names:
 * plain fields as stage 2 structs (`defineStruct`), each list as a u16 count then its items.
 * Every message must carry exactly one argument, the event's value.
 *
 * Decoding checks the size, the id and version, and every length before it allocates: a list
 * count past `maxItems`, or larger than the bytes left could hold, fails at once.
 *
 * @param events - Event names to `{ id, version, fields }`.
 * @param options - `maxMessageBytes`, `littleEndian`.
 * @throws {TypeError|RangeError} when a schema is invalid (stage 2's checks, plus: ids unique
 *   0–65,535, versions 0–255, `maxItems` 0–65,535, at least one event).
 * @example
 * ```ts
 * const codec = createSchemaCodec({
 *   chat: { id: 1, fields: { room: { type: 'string', maxBytes: 64 }, text: { type: 'string', maxBytes: 500 } } },
 * });
 * const bytes = codec.encode({ event: 'chat', args: [{ room: 'lobby', text: 'hi' }] }); // 14 bytes
 * codec.decode(bytes); // { event: 'chat', args: [{ room: 'lobby', text: 'hi' }] }
 * ```
 */
export function createSchemaCodec<const E extends EventSchemas>(
  events: E,
  options: SchemaCodecOptions = {},
): SchemaCodec<E> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_CODEC_MAX_MESSAGE_BYTES;
  checkInteger('maxMessageBytes', maxMessageBytes, SCHEMA_HEADER_BYTES, 2 ** 30);
  const littleEndian = options.littleEndian ?? false;
  const byName = new Map<string, CompiledEvent>();
  const byId = new Map<number, CompiledEvent>();
  for (const name of Object.keys(events)) {
    const compiled = compileEvent(name, events[name] as E[string], littleEndian);
    const other = byId.get(compiled.id);
    if (other)
      throw new RangeError(`events "${other.name}" and "${name}" share the id ${compiled.id}`);
    byName.set(name, compiled);
    byId.set(compiled.id, compiled);
  }
  if (byName.size === 0) throw new RangeError('a schema codec needs at least one event');

  return {
    name: 'schema',
    events: [...byName.keys()] as (keyof E & string)[],
    hasEvent: (event) => byName.has(event),
    encode(message) {
      const { event, args } = (message ?? {}) as { event?: unknown; args?: unknown };
      const compiled = typeof event === 'string' ? byName.get(event) : undefined;
      if (!compiled)
        throw encodingError(`schema encode: no schema for the event ${describe(event)}`);
      if (
        !Array.isArray(args) ||
        args.length !== 1 ||
        typeof args[0] !== 'object' ||
        args[0] === null
      ) {
        throw encodingError(
          `schema encode: event "${compiled.name}" takes exactly one argument, an object of its fields`,
        );
      }
      return asEncodingError(`schema encode: event "${compiled.name}"`, () =>
        encodeEvent(compiled, args[0] as AnyStruct, maxMessageBytes),
      );
    },
    decode(bytes) {
      if (bytes.byteLength > maxMessageBytes) {
        throw encodingError(
          `schema decode: the message is ${bytes.byteLength} bytes, more than maxMessageBytes ${maxMessageBytes}`,
        );
      }
      if (bytes.byteLength < SCHEMA_HEADER_BYTES) {
        throw encodingError(
          `schema decode: the message is ${bytes.byteLength} bytes, shorter than the ${SCHEMA_HEADER_BYTES}-byte header`,
        );
      }
      const id = ((bytes[0] as number) << 8) | (bytes[1] as number);
      const version = bytes[2] as number;
      const compiled = byId.get(id);
      if (!compiled) throw encodingError(`schema decode: no event has the id ${id}`);
      if (version !== compiled.version) {
        throw encodingError(
          `schema decode: event "${compiled.name}" arrived in version ${version}; this side knows version ${compiled.version}`,
        );
      }
      try {
        return { event: compiled.name, args: [decodeFields(compiled, bytes)] } as EventMessage<E>;
      } catch (cause) {
        throw toEncodingError(`schema decode: event "${compiled.name}"`, cause);
      }
    },
  };
}

function compileEvent(
  name: string,
  definition: EventSchemas[string],
  littleEndian: boolean,
): CompiledEvent {
  if (typeof definition !== 'object' || definition === null) {
    throw new TypeError(`event "${name}": expected { id, version?, fields }`);
  }
  const id = checkInteger(`event "${name}" id`, definition.id, 0, 0xffff);
  const version = checkInteger(`event "${name}" version`, definition.version ?? 1, 0, 0xff);
  const fields = definition.fields as { readonly [field: string]: MessageField };
  if (typeof fields !== 'object' || fields === null) {
    throw new TypeError(`event "${name}": fields must be an object of field names to types`);
  }
  const parts: Part[] = [];
  let run: Record<string, MessageField> = {};
  const flush = (): void => {
    if (Object.keys(run).length === 0) return;
    parts.push({ kind: 'struct', codec: defineStruct(run as StructSchema, { littleEndian }) });
    run = {};
  };
  for (const field of Object.keys(fields)) {
    if (field === '__proto__')
      throw new TypeError(`event "${name}": a field cannot be named "__proto__"`);
    const type = fields[field];
    if (typeof type === 'object' && type !== null && type.type === 'list') {
      flush();
      const list = type as ListField;
      checkInteger(
        `event "${name}" field "${field}" maxItems`,
        list.maxItems,
        0,
        SCHEMA_MAX_LIST_ITEMS,
      );
      const item = defineStruct(list.of, { littleEndian });
      parts.push({ kind: 'list', name: field, item, maxItems: list.maxItems });
    } else {
      run[field] = type as MessageField;
    }
  }
  flush();
  if (parts.length === 0) throw new RangeError(`event "${name}" needs at least one field`);
  return { name, id, version, parts };
}

function encodeEvent(event: CompiledEvent, value: AnyStruct, maxMessageBytes: number): Uint8Array {
  let total = SCHEMA_HEADER_BYTES;
  for (const part of event.parts) {
    if (part.kind === 'struct') {
      total += part.codec.byteLength(value);
      continue;
    }
    const items = (value as Record<string, unknown>)[part.name] as AnyStruct[];
    if (!Array.isArray(items))
      throw encodingError(`list "${part.name}": expected an array, got ${describe(items)}`);
    if (items.length > part.maxItems) {
      throw encodingError(
        `list "${part.name}": ${items.length} items, more than its maxItems ${part.maxItems}`,
      );
    }
    total += 2;
    for (const item of items) total += part.item.byteLength(item);
  }
  if (total > maxMessageBytes) {
    throw encodingError(
      `the message would be ${total} bytes, more than maxMessageBytes ${maxMessageBytes}`,
    );
  }
  const out = Buffer.allocUnsafe(total);
  out[0] = event.id >> 8;
  out[1] = event.id & 0xff;
  out[2] = event.version;
  let at = SCHEMA_HEADER_BYTES;
  for (const part of event.parts) {
    if (part.kind === 'struct') {
      at += part.codec.encodeInto(value, out, at);
      continue;
    }
    const items = (value as Record<string, unknown>)[part.name] as AnyStruct[];
    out.writeUInt16BE(items.length, at);
    at += 2;
    for (const item of items) at += part.item.encodeInto(item, out, at);
  }
  return out;
}

function decodeFields(event: CompiledEvent, bytes: Uint8Array): Record<string, unknown> {
  const end = bytes.byteLength;
  const value: Record<string, unknown> = {};
  let at = SCHEMA_HEADER_BYTES;
  for (const part of event.parts) {
    if (part.kind === 'struct') {
      const { value: fields, bytesRead } = part.codec.decodeFrom(bytes, at);
      Object.assign(value, fields);
      at += bytesRead;
      continue;
    }
    if (at + 2 > end)
      throw encodingError(
        `truncated: list "${part.name}" needs a 2-byte count at byte ${at}, the message ends at byte ${end}`,
      );
    const count = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
    at += 2;
    // Both checks come before the array is made: a hostile count costs nothing.
    if (count > part.maxItems) {
      throw encodingError(
        `list "${part.name}" at byte ${at - 2} declares ${count} items, more than its maxItems ${part.maxItems}`,
      );
    }
    if (count * part.item.minByteLength > end - at) {
      throw encodingError(
        `list "${part.name}" at byte ${at - 2} declares ${count} items of at least ${part.item.minByteLength} bytes, but only ${end - at} bytes are left`,
      );
    }
    const items: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const { value: item, bytesRead } = part.item.decodeFrom(bytes, at);
      items.push(item);
      at += bytesRead;
    }
    value[part.name] = items;
  }
  if (at !== end)
    throw encodingError(`${end - at} trailing byte(s) after the last field, at byte ${at}`);
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return value === null ? 'null' : typeof value;
}
