/**
 * The schema language of {@link createSchemaCodec}: an event's fields are stage 2's struct
 * fields (`@socketlab/tcp-udp` `defineStruct`: scalars, strings, bytes, fixed arrays) plus lists
 * of structs, so a game snapshot (a tick, the entities that changed, the ids that left) is one
 * schema. The types TypeScript infers for each event's value live here too.
 */
import type { StructField, StructFieldValue, StructSchema, StructValue } from '@socketlab/tcp-udp';

/** The most items a list may declare: its count on the wire is a u16. */
export const SCHEMA_MAX_LIST_ITEMS = 0xffff;

/** A list of structs: a u16 count, then each item as its struct. Made by {@link listOf}. */
export interface ListField<S extends StructSchema = StructSchema> {
  readonly type: 'list';
  /** The struct of one item (stage 2 fields: scalars, strings, bytes, fixed arrays). */
  readonly of: S;
  /** The most items (0 to 65,535); decoding a larger count fails before allocating. */
  readonly maxItems: number;
}

/** One field of an event's schema: a stage 2 struct field, or a list of structs. */
export type MessageField = StructField | ListField;

/** An event's fields in wire order. */
export type MessageSchema = { readonly [name: string]: MessageField };

/** The value of one event, inferred from its schema. */
export type MessageValue<M extends MessageSchema> = {
  -readonly [K in keyof M]: M[K] extends ListField<infer S>
    ? StructValue<S>[]
    : M[K] extends StructField
      ? StructFieldValue<M[K]>
      : never;
};

/** One event of a schema codec: its number on the wire, its version and its fields. */
export interface EventDefinition<M extends MessageSchema = MessageSchema> {
  /** The event's number in the header (0 to 65,535), unique in the codec. */
  readonly id: number;
  /**
   * The version of its fields (0 to 255): bump it when the fields change, so a peer that
   * knows another version refuses the message by name instead of misreading it.
   * @default 1
   */
  readonly version?: number;
  readonly fields: M;
}

/** Event names to their definitions. */
export type EventSchemas = { readonly [event: string]: EventDefinition };

/** A message of a schema codec: `{ event, args: [value] }`, typed per event. */
export type EventMessage<E extends EventSchemas = EventSchemas> = {
  [K in keyof E & string]: { event: K; args: readonly [MessageValue<E[K]['fields']>] };
}[keyof E & string];

/**
 * A list field: a u16 count, then up to `maxItems` structs.
 * @example
 * ```ts
 * const snapshot = {
 *   id: 2,
 *   fields: {
 *     tick: 'u32',
 *     moved: listOf({ id: 'u16', x: 'f32', y: 'f32' }, { maxItems: 256 }),
 *     left: listOf({ id: 'u16' }, { maxItems: 256 }),
 *   },
 * } as const;
 * ```
 */
export function listOf<const S extends StructSchema>(
  of: S,
  options: { readonly maxItems: number },
): ListField<S> {
  return { type: 'list', of, maxItems: options.maxItems };
}
