/**
 * Who is in each room, keyed by user, not by socket, pure: no Socket.IO here, and time comes from
 * an injected clock. A user with two tabs is one member; closing one tab changes nothing; a user
 * whose last socket disconnects stays a member for a grace period, so a quick reconnect (a page
 * reload, a flaky link) does not flap "left"/"joined" to the room.
 */

import { type ConnectionClock, systemClock } from '@socketlab/multiplexing';

/** A change of a room's membership, which the edge broadcasts to the room. */
export interface PresenceChange {
  readonly type: 'join' | 'leave';
  readonly room: string;
  readonly userId: string;
}

/** Options of {@link PresenceTracker}. */
export interface PresenceOptions {
  /** How long a user whose last socket disconnected stays a member, in ms. @default 5000 */
  graceMs?: number;
  /** Time and timers (tests pass a manual clock). @default systemClock */
  clock?: ConnectionClock;
  /** Called with each change, when it happens (a leave after a disconnect: when the grace ends). */
  onChange?: (change: PresenceChange) => void;
}

interface Member {
  readonly sockets: Set<string>;
  /** The grace timer, while the user has no socket left in the room. */
  timer?: unknown;
}

/**
 * Tracks presence per room. `join` and `leave` are a socket's own requests; `disconnect` is the
 * socket going away, which starts the grace period instead of leaving at once.
 * @example
 * const presence = new PresenceTracker({ onChange: (c) => io.to(c.room).emit('presence', c) });
 * presence.join('general', 'ada', socket.id); // { type: 'join', room: 'general', userId: 'ada' }
 */
export class PresenceTracker {
  readonly graceMs: number;
  readonly #clock: ConnectionClock;
  readonly #onChange: (change: PresenceChange) => void;
  readonly #rooms = new Map<string, Map<string, Member>>();
  readonly #sockets = new Map<string, { userId: string; rooms: Set<string> }>();

  /** @throws {RangeError} when `graceMs` is not a finite number >= 0. */
  constructor({ graceMs = 5000, clock = systemClock, onChange = () => {} }: PresenceOptions = {}) {
    if (!Number.isFinite(graceMs) || graceMs < 0) {
      throw new RangeError(`graceMs must be a finite number >= 0, got ${graceMs}`);
    }
    this.graceMs = graceMs;
    this.#clock = clock;
    this.#onChange = onChange;
  }

  /**
   * Adds `socketId` (of `userId`) to `room`. A socket belongs to one user: a second user id for the
   * same socket throws `TypeError`.
   * @returns the change (`join`) when the user was not a member, else `undefined` (another tab, or a
   * reconnect within the grace period: its timer is cancelled).
   */
  join(room: string, userId: string, socketId: string): PresenceChange | undefined {
    const socket = this.#sockets.get(socketId) ?? { userId, rooms: new Set<string>() };
    if (socket.userId !== userId) {
      throw new TypeError(`socket ${socketId} belongs to ${socket.userId}, not ${userId}`);
    }
    this.#sockets.set(socketId, socket);
    socket.rooms.add(room);
    let members = this.#rooms.get(room);
    if (members === undefined) {
      members = new Map();
      this.#rooms.set(room, members);
    }
    const member = members.get(userId);
    if (member !== undefined) {
      if (member.timer !== undefined) {
        this.#clock.clearTimeout(member.timer);
        member.timer = undefined;
      }
      member.sockets.add(socketId);
      return undefined;
    }
    members.set(userId, { sockets: new Set([socketId]) });
    return this.#emit({ type: 'join', room, userId });
  }

  /**
   * Removes `socketId` from `room` at once (the user asked to leave from this tab).
   * @returns the change (`leave`) when that was the user's last socket in the room.
   */
  leave(room: string, socketId: string): PresenceChange | undefined {
    const socket = this.#sockets.get(socketId);
    if (socket === undefined || !socket.rooms.delete(room)) return undefined;
    if (socket.rooms.size === 0) this.#sockets.delete(socketId);
    const members = this.#rooms.get(room);
    const member = members?.get(socket.userId);
    if (members === undefined || member === undefined) return undefined;
    member.sockets.delete(socketId);
    if (member.sockets.size > 0 || member.timer !== undefined) return undefined;
    return this.#remove(room, socket.userId);
  }

  /**
   * The socket went away: it leaves every room it was in; where it was its user's last socket,
   * the user stays a member for `graceMs` and then leaves (unless a socket of theirs joins again).
   * @returns the rooms whose grace period started.
   */
  disconnect(socketId: string): string[] {
    const socket = this.#sockets.get(socketId);
    if (socket === undefined) return [];
    this.#sockets.delete(socketId);
    const graced: string[] = [];
    for (const room of socket.rooms) {
      const member = this.#rooms.get(room)?.get(socket.userId);
      if (member === undefined) continue;
      member.sockets.delete(socketId);
      if (member.sockets.size > 0 || member.timer !== undefined) continue;
      graced.push(room);
      member.timer = this.#clock.setTimeout(() => {
        member.timer = undefined;
        if (member.sockets.size === 0) this.#remove(room, socket.userId);
      }, this.graceMs);
    }
    return graced;
  }

  /** The users present in `room` (including those in their grace period), in order of arrival. */
  members(room: string): string[] {
    return [...(this.#rooms.get(room)?.keys() ?? [])];
  }

  /** Whether `userId` is a member of `room` (in the grace period too). */
  has(room: string, userId: string): boolean {
    return this.#rooms.get(room)?.has(userId) ?? false;
  }

  /** Whether `userId` has a socket connected in `room` now (not only a grace period). */
  isConnected(room: string, userId: string): boolean {
    return (this.#rooms.get(room)?.get(userId)?.sockets.size ?? 0) > 0;
  }

  /** The rooms `socketId` has joined and not left. */
  roomsOf(socketId: string): string[] {
    return [...(this.#sockets.get(socketId)?.rooms ?? [])];
  }

  /** The number of rooms with at least one member. */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Cancels every grace timer and forgets everything, without reporting changes. */
  clear(): void {
    for (const members of this.#rooms.values()) {
      for (const member of members.values()) {
        if (member.timer !== undefined) this.#clock.clearTimeout(member.timer);
      }
    }
    this.#rooms.clear();
    this.#sockets.clear();
  }

  #remove(room: string, userId: string): PresenceChange {
    const members = this.#rooms.get(room);
    members?.delete(userId);
    if (members?.size === 0) this.#rooms.delete(room);
    return this.#emit({ type: 'leave', room, userId });
  }

  #emit(change: PresenceChange): PresenceChange {
    this.#onChange(change);
    return change;
  }
}
