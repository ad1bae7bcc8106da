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
const ID = defineStruct({ id: 'u32' });
/** The largest finite float32. */
const F32_MAX = 3.4028234663852886e38;

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
    // The checks first, for this module's own messages (positions must be finite, which a
    // float32 field alone allows); the codec then writes the record in place.
    for (const e of entities) {
      checkId(e.id);
      checkF32(e.x, e.id, 'x');
      checkF32(e.y, e.id, 'y');
      at += FULL_ENTITY.encodeInto(e, out, at);
    }
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
    // CHANGE_HEAD, then F32 for each field in the mask, then ID per removal.
    for (const { id, x, y } of delta.changed) {
      checkId(id);
      const mask = (x !== undefined ? MASK_X : 0) | (y !== undefined ? MASK_Y : 0);
      at += CHANGE_HEAD.encodeInto({ id, mask }, out, at);
      if (x !== undefined) at += F32.encodeInto({ v: checkF32(x, id, 'x') }, out, at);
      if (y !== undefined) at += F32.encodeInto({ v: checkF32(y, id, 'y') }, out, at);
    }
    for (const id of delta.removed) at += ID.encodeInto({ id: checkId(id) }, out, at);
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
 * What changed from `base` to `next`: entities new to the client whole, changed ones with only
 * their changed fields, removed ids (a merge of the two lists when they are sorted by id, as
 * snapshots are; sorted copies otherwise).
 * @example diffSnapshots(tick7, tick8); // { tick: 8, baseTick: 7, changed: [{ id: 1, x: 510 }], removed: [3], … }
 */
export function diffSnapshots(base: Snapshot, next: Snapshot): SnapshotDelta {
  const a = base.entities;
  const b = next.entities;
  if (!sortedById(a) || !sortedById(b)) {
    return diffSnapshots(
      { ...base, entities: [...a].sort(byId) },
      { ...next, entities: [...b].sort(byId) },
    );
  }
  // Both sorted by id: one merge pass, no map.
  const changed: EntityChange[] = [];
  const removed: number[] = [];
  let i = 0;
  let k = 0;
  while (k < b.length) {
    const e = b[k] as SnapshotEntity;
    const old = a[i];
    if (old !== undefined && old.id < e.id) {
      removed.push(old.id);
      i++;
      continue;
    }
    k++;
    if (old === undefined || old.id > e.id) {
      changed.push({ id: e.id, x: e.x, y: e.y });
      continue;
    }
    i++;
    const sameX = Object.is(old.x, e.x);
    const sameY = Object.is(old.y, e.y);
    if (sameX && sameY) continue;
    changed.push(
      sameX ? { id: e.id, y: e.y } : sameY ? { id: e.id, x: e.x } : { id: e.id, x: e.x, y: e.y },
    );
  }
  for (; i < a.length; i++) removed.push((a[i] as SnapshotEntity).id);
  return {
    tick: next.tick,
    baseTick: base.tick,
    ackSeq: next.ackSeq,
    you: next.you,
    changed,
    removed,
  };
}

const byId = (p: SnapshotEntity, q: SnapshotEntity): number => p.id - q.id;

function sortedById(list: readonly SnapshotEntity[]): boolean {
  for (let i = 1; i < list.length; i++) {
    if ((list[i - 1] as SnapshotEntity).id >= (list[i] as SnapshotEntity).id) return false;
  }
  return true;
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

function checkId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) {
    bad(`an entity id must be an integer from 0 to ${0xffff_ffff}, got ${id}`);
  }
  return id;
}

function checkF32(v: number, id: number, field: string): number {
  if (typeof v !== 'number' || !(Math.abs(v) <= F32_MAX)) {
    bad(`entity ${id}'s ${field} must be a finite number that fits a float32, got ${v}`);
  }
  return v;
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
