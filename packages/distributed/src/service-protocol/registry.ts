/**
 * The message registry of a service protocol: for each protocol version, its messages (an id and
 * stage 4's schema fields), checked once for the compatibility rules, and the pure body codec
 * that writes a message in one version and reads any version this side knows.
 */
import { checkInteger } from '@socketlab/internal';
import {
  createSchemaCodec,
  type MessageSchema,
  SCHEMA_HEADER_BYTES,
  type SchemaCodec,
} from '@socketlab/websockets/realtime';
import { DistributedError } from '../errors.ts';

/** The highest protocol version: a body's header carries its version in one byte (stage 4's schema codec). */
export const SERVICE_MAX_VERSION = 0xff;

/** One message in one version of a protocol. */
export interface ServiceMessageDefinition {
  /** Its number on the wire (0 to 65,535); the same in every version that has the message. */
  readonly id: number;
  /**
   * Its fields in wire order (stage 2 struct fields and stage 4 lists). A later version may
   * only append fields; the ones before stay, with the same types, in the same order.
   */
  readonly fields: MessageSchema;
  /**
   * A value for every field this version appended to the message, used when a body written in
   * an older version arrives. Values are shared, not copied: do not modify them.
   */
  readonly defaults?: { readonly [field: string]: unknown };
}

/** The messages of one version, by name. */
export type ServiceVersionMessages = { readonly [name: string]: ServiceMessageDefinition };

/** What {@link defineServiceProtocol} takes. */
export interface ServiceProtocolDefinition {
  /** Versions (1 to 255) to their messages. Every version this side can speak is listed. */
  readonly versions: { readonly [version: number]: ServiceVersionMessages };
}

/** A message as the application sees it: a name and its value in this side's latest shape. */
export interface ServiceMessage {
  /** The message's name in the registry. */
  readonly name: string;
  /** Its fields, in the shape of this side's newest version. */
  readonly value: Readonly<Record<string, unknown>>;
}

/** A decoded body: the message, upgraded to this side's latest version, and the version it was written in. */
export interface DecodedServiceBody extends ServiceMessage {
  /** The version the peer wrote the body in (the body header's version byte). */
  readonly writtenIn: number;
}

/** A checked registry, made by {@link defineServiceProtocol}. Pure: no I/O. */
export interface ServiceProtocol {
  /** The lowest version this side speaks. */
  readonly minVersion: number;
  /** The highest version this side speaks; values given to and returned by the body codec have its shape. */
  readonly maxVersion: number;
  /** True when this side speaks `version`. */
  supports(version: number): boolean;
  /**
   * Encodes a message in `version` (a field added after `version` is left out).
   * @throws {DistributedError} `DISTRIBUTED_ERR_PAYLOAD` when `version` does not have the
   *   message, or the value does not fit its schema (`cause` has stage 4's error).
   */
  encodeBody(version: number, message: ServiceMessage): Uint8Array;
  /**
   * Decodes one body written in any version from `minVersion` up to `upTo`, and fills the
   * fields added since from their defaults.
   * @throws {DistributedError} `DISTRIBUTED_ERR_PAYLOAD` for a body in a version above `upTo`
   *   or unknown here, an unknown message id, or bytes that do not fit the schema (trailing
   *   bytes included: an older reader refuses a newer body instead of guessing at it).
   */
  decodeBody(bytes: Uint8Array, upTo: number): DecodedServiceBody;
}

/**
 * Defines the messages of a versioned protocol and checks the compatibility rules between
 * consecutive versions, so an incompatible change fails when the program starts, not on the wire:
 *
 * - a message keeps its id in every version that has it, and no two messages share an id;
 * - a later version may add messages, and may append fields to a message, each with a default;
 * - it may not remove, reorder, rename or retype a field that an earlier version has.
 *
 * @param definition - `{ versions: { 1: {...}, 2: {...} } }`; versions need not be contiguous.
 * @throws {TypeError|RangeError} for a version outside 1–255, no versions, a schema stage 4
 *   refuses, or a broken compatibility rule (the message says which message and field).
 * @example
 * ```ts
 * const v1 = { getUser: { id: 1, fields: { userId: 'u32' } } } as const;
 * const protocol = defineServiceProtocol({
 *   versions: {
 *     1: v1,
 *     2: { getUser: { id: 1, fields: { userId: 'u32', locale: { type: 'string', maxBytes: 8 } }, defaults: { locale: 'en' } } },
 *   },
 * });
 * const body = protocol.encodeBody(1, { name: 'getUser', value: { userId: 7 } }); // <00 01 01 00 00 00 07>
 * protocol.decodeBody(body, 2); // { name: 'getUser', value: { userId: 7, locale: 'en' }, writtenIn: 1 }
 * ```
 */
export function defineServiceProtocol(definition: ServiceProtocolDefinition): ServiceProtocol {
  if (typeof definition !== 'object' || definition === null) {
    throw new TypeError('defineServiceProtocol: expected { versions: { 1: { ... } } }');
  }
  const versions = Object.keys(definition.versions ?? {})
    .map((key) => checkInteger(`version ${key}`, Number(key), 1, SERVICE_MAX_VERSION))
    .sort((a, b) => a - b);
  if (versions.length === 0) throw new RangeError('defineServiceProtocol: no versions');
  const codecs = new Map<number, SchemaCodec>();
  for (const version of versions) {
    const messages = definition.versions[version] as ServiceVersionMessages;
    const events: Record<string, { id: number; version: number; fields: MessageSchema }> = {};
    for (const name of Object.keys(messages)) {
      const message = messages[name] as ServiceMessageDefinition;
      events[name] = { id: message.id, version, fields: message.fields };
    }
    codecs.set(version, createSchemaCodec(events));
  }
  const latest = versions.at(-1) as number;
  checkCompatibility(definition, versions);
  const upgrades = upgradeDefaults(definition, versions);

  return {
    minVersion: versions[0] as number,
    maxVersion: latest,
    supports: (version) => codecs.has(version),
    encodeBody(version, message) {
      const codec = codecs.get(version);
      if (codec === undefined || !codec.hasEvent(message.name)) {
        throw new DistributedError(
          'DISTRIBUTED_ERR_PAYLOAD',
          `service protocol: version ${version} has no message "${String(message.name)}"`,
        );
      }
      try {
        return codec.encode({ event: message.name, args: [message.value] } as never);
      } catch (cause) {
        throw payloadError(`cannot encode "${message.name}" in version ${version}`, cause);
      }
    },
    decodeBody(bytes, upTo) {
      if (bytes.byteLength < SCHEMA_HEADER_BYTES) {
        throw new DistributedError(
          'DISTRIBUTED_ERR_PAYLOAD',
          `service protocol: a body of ${bytes.byteLength} bytes is shorter than its ${SCHEMA_HEADER_BYTES}-byte header`,
        );
      }
      const writtenIn = bytes[2] as number;
      const codec = codecs.get(writtenIn);
      if (codec === undefined || writtenIn > upTo) {
        throw new DistributedError(
          'DISTRIBUTED_ERR_PAYLOAD',
          `service protocol: a body written in version ${writtenIn}; this side reads ${describeRange(versions, upTo)}`,
        );
      }
      let decoded: { event: string; args: readonly [unknown] };
      try {
        decoded = codec.decode(bytes) as typeof decoded;
      } catch (cause) {
        throw payloadError(`cannot decode a version ${writtenIn} body`, cause);
      }
      const value = decoded.args[0] as Record<string, unknown>;
      const defaults = upgrades.get(writtenIn)?.get(decoded.event);
      if (defaults !== undefined) {
        for (const [field, fallback] of defaults) if (!(field in value)) value[field] = fallback;
      }
      return { name: decoded.event, value, writtenIn };
    },
  };
}

function payloadError(what: string, cause: unknown): DistributedError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new DistributedError('DISTRIBUTED_ERR_PAYLOAD', `service protocol: ${what}: ${detail}`, {
    cause,
  });
}

function describeRange(versions: readonly number[], upTo: number): string {
  const known = versions.filter((v) => v <= upTo);
  return known.length === 0 ? 'no version' : `version ${known.join(', ')}`;
}

/** Checks the rules between each version and the one before it. */
function checkCompatibility(definition: ServiceProtocolDefinition, versions: number[]): void {
  for (let i = 1; i < versions.length; i++) {
    const before = definition.versions[versions[i - 1] as number] as ServiceVersionMessages;
    const after = definition.versions[versions[i] as number] as ServiceVersionMessages;
    const where = `version ${versions[i]}`;
    for (const name of Object.keys(after)) {
      const next = after[name] as ServiceMessageDefinition;
      const previous = before[name];
      if (previous === undefined) continue;
      if (previous.id !== next.id) {
        throw new RangeError(
          `${where}: message "${name}" changed its id from ${previous.id} to ${next.id}; ids are forever`,
        );
      }
      const oldFields = Object.keys(previous.fields);
      const newFields = Object.keys(next.fields);
      oldFields.forEach((field, at) => {
        if (newFields[at] !== field || !sameType(previous.fields[field], next.fields[field])) {
          throw new RangeError(
            `${where}: message "${name}" must keep field "${field}" at position ${at} with the same type; append new fields instead`,
          );
        }
      });
      for (const field of newFields.slice(oldFields.length)) {
        if (next.defaults === undefined || !Object.hasOwn(next.defaults, field)) {
          throw new RangeError(
            `${where}: message "${name}" appends field "${field}" with no default; an older peer's body would have no value for it`,
          );
        }
      }
    }
  }
}

function sameType(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** For each version and message: the fields the latest version added since, with their defaults. */
function upgradeDefaults(
  definition: ServiceProtocolDefinition,
  versions: number[],
): Map<number, Map<string, [string, unknown][]>> {
  const out = new Map<number, Map<string, [string, unknown][]>>();
  for (let i = 0; i < versions.length - 1; i++) {
    const perMessage = new Map<string, [string, unknown][]>();
    const messages = definition.versions[versions[i] as number] as ServiceVersionMessages;
    for (const name of Object.keys(messages)) {
      const added: [string, unknown][] = [];
      for (const later of versions.slice(i + 1)) {
        const message = (definition.versions[later] as ServiceVersionMessages)[name];
        for (const [field, fallback] of Object.entries(message?.defaults ?? {})) {
          if (!added.some(([known]) => known === field)) added.push([field, fallback]);
        }
      }
      if (added.length > 0) perMessage.set(name, added);
    }
    out.set(versions[i] as number, perMessage);
  }
  return out;
}
