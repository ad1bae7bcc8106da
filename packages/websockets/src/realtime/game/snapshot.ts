/**
 * Snapshots on the wire, with stage 2's binary structs: a full snapshot lists every entity a
 * player can see; a delta lists only what changed since a snapshot the client acknowledged
 * (changed fields of changed entities, new entities whole, and the ids that went away).
 *
 * ```
 * header  kind u8 (1 full, 2 delta) · tick u32 · baseTick u32 · ackSeq i32 · you u32 · count u16 · removed u16
 * full    count × { id u32, x f32, y f32 }
 * delta   count × { id u32, mask u8 } then x f32 if mask & 1, y f32 if mask & 2; removed × { id u32 }
 * ```
 */
import { defineStruct } from '@socketlab/tcp-udp';
import { RealtimeError } from '../errors.ts';

/** One entity as a snapshot carries it. */
export interface SnapshotEntity {
  readonly id: number;
  readonly x: number;
  readonly y: number;
}

/** Everything one player sees at one tick. */
export interface Snapshot {
  readonly tick: number;
  /** The seq of the last input of this player the server applied (-1 before any). */
  readonly ackSeq: number;
  /** The id of the receiving player's own entity. */
  readonly you: number;
  /** Sorted by id. */
  readonly entities: readonly SnapshotEntity[];
}

/** One entity in a delta: only the fields that changed (both for an entity new to the client). */
export interface EntityChange {
  readonly id: number;
  readonly x?: number;
  readonly y?: number;
}

/** What changed from the snapshot at `baseTick` to the one at `tick`. */
export interface SnapshotDelta {
  readonly tick: number;
  readonly baseTick: number;
  readonly ackSeq: number;
  readonly you: number;
  readonly changed: readonly EntityChange[];
  readonly removed: readonly number[];
}

/** A decoded message: a full snapshot, or a delta to apply to the snapshot it names. */
export type SnapshotMessage =
  | { readonly type: 'full'; readonly snapshot: Snapshot }
  | { readonly type: 'delta'; readonly delta: SnapshotDelta };

/** Limits of {@link decodeSnapshotMessage}. */
export interface SnapshotLimits {
  /** The most entities (changed or removed) one message may carry. @default 4096 */
  readonly maxEntities?: number;
}

const HEADER = defineStruct({
  kind: 'u8',
  tick: 'u32',
  baseTick: 'u32',
  ackSeq: 'i32',
  you: 'u32',
  count: 'u16',
  removed: 'u16',
});
const FULL_ENTITY = defineStruct({ id: 'u32', x: 'f32', y: 'f32' });
const CHANGE_HEAD = defineStruct({ id: 'u32', mask: 'u8' });
const F32 = defineStruct({ v: 'f32' });
// The same bytes as CHANGE_HEAD then one or two F32, in one codec call per entity when encoding.
const CHANGE_X = defineStruct({ id: 'u32', mask: 'u8', x: 'f32' });
const CHANGE_Y = defineStruct({ id: 'u32', mask: 'u8', y: 'f32' });
const CHANGE_XY = defineStruct({ id: 'u32', mask: 'u8', x: 'f32', y: 'f32' });
const ID = defineStruct({ id: 'u32' });

const KIND_FULL = 1;
const KIND_DELTA = 2;
const MASK_X = 1;
const MASK_Y = 2;
/** The most entities a message can carry: its counts are u16. */
export const SNAPSHOT_MAX_ENTITIES = 0xffff;

/**
 * Encodes a full snapshot.
 * @throws {RealtimeError} `REALTIME_ERR_ENCODING` when a field does not fit its type (an id
 *   past u32, more than 65,535 entities).
 * @example encodeSnapshot({ tick: 1, ackSeq: -1, you: 1, entities: [{ id: 1, x: 5, y: 5 }] }); // 33 bytes
 */
export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const { entities } = snapshot;
  const out = new Uint8Array(HEADER.minByteLength + entities.length * FULL_ENTITY.minByteLength);
  guard(() => {
    let at = HEADER.encodeInto(
      header(KIND_FULL, snapshot.tick, 0, snapshot, entities.length, 0),
      out,
      0,
    );
    for (const e of entities)
      at += FULL_ENTITY.encodeInto(e as { id: number; x: number; y: number }, out, at);
  });
  return out;
}

/**
 * Encodes a delta (see {@link diffSnapshots}).
 * @throws {RealtimeError} `REALTIME_ERR_ENCODING` as {@link encodeSnapshot}.
 * @example encodeSnapshotDelta(diffSnapshots(acked, current)); // only what changed
 */
export function encodeSnapshotDelta(delta: SnapshotDelta): Uint8Array {
  let size = HEADER.minByteLength + delta.removed.length * ID.minByteLength;
  for (const c of delta.changed) {
    size += CHANGE_HEAD.minByteLength;
    if (c.x !== undefined) size += F32.minByteLength;
    if (c.y !== undefined) size += F32.minByteLength;
  }
  const out = new Uint8Array(size);
  guard(() => {
    let at = HEADER.encodeInto(
      header(
        KIND_DELTA,
        delta.tick,
        delta.baseTick,
        delta,
        delta.changed.length,
        delta.removed.length,
      ),
      out,
      0,
    );
    for (const c of delta.changed) {
      const { id, x, y } = c;
      if (x !== undefined && y !== undefined) {
        at += CHANGE_XY.encodeInto({ id, mask: MASK_X | MASK_Y, x, y }, out, at);
      } else if (x !== undefined) at += CHANGE_X.encodeInto({ id, mask: MASK_X, x }, out, at);
      else if (y !== undefined) at += CHANGE_Y.encodeInto({ id, mask: MASK_Y, y }, out, at);
      else at += CHANGE_HEAD.encodeInto({ id, mask: 0 }, out, at); // refused by the decoder
    }
    for (const id of delta.removed) at += ID.encodeInto({ id }, out, at);
  });
  return out;
}

/**
 * Decodes one snapshot message, checking everything: the kind, the counts against
 * `maxEntities`, every position finite, ids sorted and unique, no trailing bytes.
 * @throws {RealtimeError} `REALTIME_ERR_ENCODING` saying what is wrong; `cause` holds stage 2's
 *   `SerializationError` when the struct codec refused the bytes.
 * @example
 * ```ts
 * const message = decodeSnapshotMessage(bytes);
 * const snapshot = message.type === 'full' ? message.snapshot : applySnapshotDelta(base, message.delta);
 * ```
 */
export function decodeSnapshotMessage(
  bytes: Uint8Array,
  limits: SnapshotLimits = {},
): SnapshotMessage {
  const maxEntities = limits.maxEntities ?? 4096;
  if (!(bytes instanceof Uint8Array)) {
    throw new RealtimeError('REALTIME_ERR_ENCODING', 'a snapshot must be bytes (a Uint8Array)');
  }
  return guard(() => {
    const { value: h, bytesRead } = HEADER.decodeFrom(bytes, 0);
    let at = bytesRead;
    if (h.kind !== KIND_FULL && h.kind !== KIND_DELTA) bad(`unknown snapshot kind ${h.kind}`);
    if (h.count + h.removed > maxEntities) {
      bad(`${h.count + h.removed} entities is more than the limit of ${maxEntities}`);
    }
    let lastId = -1;
    const ordered = (id: number): void => {
      if (id <= lastId) bad(`entity ids must be sorted and unique: ${id} after ${lastId}`);
      lastId = id;
    };
    const finite = (v: number, what: string): number => {
      if (!Number.isFinite(v)) bad(`${what} is not a finite number (${v})`);
      return v;
    };
    if (h.kind === KIND_FULL) {
      if (h.removed !== 0) bad('a full snapshot cannot remove entities');
      const entities: SnapshotEntity[] = [];
      for (let i = 0; i < h.count; i++) {
        const r = FULL_ENTITY.decodeFrom(bytes, at);
        at += r.bytesRead;
        ordered(r.value.id);
        finite(r.value.x, `entity ${r.value.id}'s x`);
        finite(r.value.y, `entity ${r.value.id}'s y`);
        entities.push(r.value);
      }
      trailing(bytes, at);
      return {
        type: 'full',
        snapshot: { tick: h.tick, ackSeq: h.ackSeq, you: h.you, entities },
      } as const;
    }
    const changed: EntityChange[] = [];
    for (let i = 0; i < h.count; i++) {
      const r = CHANGE_HEAD.decodeFrom(bytes, at);
      at += r.bytesRead;
      const { id, mask } = r.value;
      ordered(id);
      if (mask === 0 || (mask & ~(MASK_X | MASK_Y)) !== 0) bad(`entity ${id}: field mask ${mask}`);
      const change: { id: number; x?: number; y?: number } = { id };
      if (mask & MASK_X) {
        const f = F32.decodeFrom(bytes, at);
        at += f.bytesRead;
        change.x = finite(f.value.v, `entity ${id}'s x`);
      }
      if (mask & MASK_Y) {
        const f = F32.decodeFrom(bytes, at);
        at += f.bytesRead;
        change.y = finite(f.value.v, `entity ${id}'s y`);
      }
      changed.push(change);
    }
    const removed: number[] = [];
    for (let i = 0; i < h.removed; i++) {
      const r = ID.decodeFrom(bytes, at);
      at += r.bytesRead;
      removed.push(r.value.id);
    }
    trailing(bytes, at);
    return {
      type: 'delta',
      delta: { tick: h.tick, baseTick: h.baseTick, ackSeq: h.ackSeq, you: h.you, changed, removed },
    } as const;
  });
}

/**
 * What changed from `base` to `next` (both sorted by id): entities new to the client whole,
 * changed ones with only their changed fields, removed ids.
 * @example diffSnapshots(tick7, tick8); // { tick: 8, baseTick: 7, changed: [{ id: 1, x: 510 }], removed: [3], … }
 */
export function diffSnapshots(base: Snapshot, next: Snapshot): SnapshotDelta {
  const before = new Map<number, SnapshotEntity>();
  for (const e of base.entities) before.set(e.id, e);
  const changed: EntityChange[] = [];
  for (const e of next.entities) {
    const old = before.get(e.id);
    if (old === undefined) {
      changed.push({ id: e.id, x: e.x, y: e.y });
      continue;
    }
    before.delete(e.id);
    const sameX = Object.is(old.x, e.x);
    const sameY = Object.is(old.y, e.y);
    if (sameX && sameY) continue;
    changed.push(
      sameX ? { id: e.id, y: e.y } : sameY ? { id: e.id, x: e.x } : { id: e.id, x: e.x, y: e.y },
    );
  }
  const removed = [...before.keys()].sort((a, b) => a - b);
  return {
    tick: next.tick,
    baseTick: base.tick,
    ackSeq: next.ackSeq,
    you: next.you,
    changed,
    removed,
  };
}

/**
 * Applies `delta` to `base`, the snapshot it was made against, giving the full snapshot.
 * @throws {RealtimeError} `REALTIME_ERR_ENCODING` when `base` is not the delta's base, a changed
 *   entity new to the base lacks a field, or a removed id is not in the base.
 * @example applySnapshotDelta(received.get(delta.baseTick), delta); // the snapshot at delta.tick
 */
export function applySnapshotDelta(base: Snapshot, delta: SnapshotDelta): Snapshot {
  if (base.tick !== delta.baseTick) {
    bad(`the delta is against tick ${delta.baseTick}, the base given is tick ${base.tick}`);
  }
  const entities = new Map<number, SnapshotEntity>();
  for (const e of base.entities) entities.set(e.id, e);
  for (const id of delta.removed) {
    if (!entities.delete(id)) bad(`the delta removes entity ${id}, which the base does not have`);
  }
  for (const c of delta.changed) {
    const old = entities.get(c.id);
    const x = c.x ?? old?.x;
    const y = c.y ?? old?.y;
    if (x === undefined || y === undefined)
      bad(`entity ${c.id} is new but the delta lacks a field`);
    entities.set(c.id, { id: c.id, x, y });
  }
  return {
    tick: delta.tick,
    ackSeq: delta.ackSeq,
    you: delta.you,
    entities: [...entities.values()].sort((a, b) => a.id - b.id),
  };
}

function header(
  kind: number,
  tick: number,
  baseTick: number,
  s: { ackSeq: number; you: number },
  count: number,
  removed: number,
) {
  return { kind, tick, baseTick, ackSeq: s.ackSeq, you: s.you, count, removed };
}

function bad(message: string): never {
  throw new RealtimeError('REALTIME_ERR_ENCODING', `snapshot: ${message}`);
}

function trailing(bytes: Uint8Array, at: number): void {
  if (at !== bytes.byteLength)
    bad(`${bytes.byteLength - at} trailing byte(s) after the last entity`);
}

/** Runs `fn`, turning stage 2's serialization errors into `REALTIME_ERR_ENCODING`. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof RealtimeError) throw error;
    throw new RealtimeError('REALTIME_ERR_ENCODING', `snapshot: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
