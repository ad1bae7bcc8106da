/**
 * The notifications a user has not acknowledged yet, pure and bounded: at most `maxPerUser` per
 * user (the oldest is dropped first), at most `maxUsers` users (the user written to least
 * recently is dropped first), and none older than `ttlMs` (dropped when next read). What is
 * dropped is reported, never silent: delivery is at least once only within these bounds.
 */

/** The time source of {@link PendingStore}: only `now()` (it sets no timers). */
export interface PendingClock {
  now(): number;
}

/** Options of {@link PendingStore}. */
export interface PendingStoreOptions {
  /** Pending items kept per user. @default 100 */
  maxPerUser?: number;
  /** Users with pending items kept. @default 10000 */
  maxUsers?: number;
  /** How long an item stays pending, in ms. @default 86400000 (a day) */
  ttlMs?: number;
  /** @default { now: Date.now } */
  clock?: PendingClock;
  /** Told of every item dropped unacknowledged, and why. */
  onDrop?: (userId: string, item: unknown, reason: 'full' | 'users' | 'expired') => void;
}

/**
 * A bounded per-user store of items awaiting acknowledgement, keyed by their `id`, oldest first.
 * @example
 * const store = new PendingStore<{ id: string }>({ maxPerUser: 50 });
 * store.add('ada', { id: 'n1' });
 * store.list('ada'); // [{ id: 'n1' }] until store.ack('ada', 'n1')
 */
export class PendingStore<T extends { readonly id: string }> {
  readonly maxPerUser: number;
  readonly maxUsers: number;
  readonly ttlMs: number;
  readonly #clock: PendingClock;
  readonly #onDrop: NonNullable<PendingStoreOptions['onDrop']>;
  readonly #users = new Map<string, Map<string, { item: T; addedAt: number }>>();

  /** @throws {RangeError} when a count is not an integer >= 1 or `ttlMs` not a number > 0. */
  constructor({
    maxPerUser = 100,
    maxUsers = 10_000,
    ttlMs = 86_400_000,
    clock = { now: Date.now },
    onDrop = () => {},
  }: PendingStoreOptions = {}) {
    for (const [name, value] of [
      ['maxPerUser', maxPerUser],
      ['maxUsers', maxUsers],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
      }
    }
    if (!(ttlMs > 0)) throw new RangeError(`ttlMs must be a number > 0, got ${ttlMs}`);
    this.maxPerUser = maxPerUser;
    this.maxUsers = maxUsers;
    this.ttlMs = ttlMs;
    this.#clock = clock;
    this.#onDrop = onDrop;
  }

  /** The number of users with pending items. */
  get userCount(): number {
    return this.#users.size;
  }

  /**
   * Keeps `item` for `userId` until acknowledged. An item whose id is already pending is not
   * added twice (the first stays, with its place and age).
   * @returns whether it was added.
   */
  add(userId: string, item: T): boolean {
    let items = this.#users.get(userId);
    if (items?.has(item.id)) return false;
    if (items === undefined) {
      items = new Map();
      if (this.#users.size >= this.maxUsers) {
        const [oldestUser, oldestItems] = this.#users.entries().next().value as [
          string,
          Map<string, { item: T }>,
        ];
        this.#users.delete(oldestUser);
        for (const { item: dropped } of oldestItems.values()) {
          this.#onDrop(oldestUser, dropped, 'users');
        }
      }
    } else {
      this.#users.delete(userId); // re-inserted below: most recently written last
    }
    this.#users.set(userId, items);
    this.#expire(userId, items);
    if (items.size >= this.maxPerUser) {
      const [oldestId, oldest] = items.entries().next().value as [string, { item: T }];
      items.delete(oldestId);
      this.#onDrop(userId, oldest.item, 'full');
    }
    items.set(item.id, { item, addedAt: this.#clock.now() });
    return true;
  }

  /** `userId` acknowledged `id`. @returns whether it was pending. */
  ack(userId: string, id: string): boolean {
    const items = this.#users.get(userId);
    if (items === undefined || !items.delete(id)) return false;
    if (items.size === 0) this.#users.delete(userId);
    return true;
  }

  /** Whether `id` is pending for `userId` (and not expired). */
  has(userId: string, id: string): boolean {
    return this.list(userId).some((item) => item.id === id);
  }

  /** The items pending for `userId`, oldest first (expired ones are dropped first). */
  list(userId: string): T[] {
    const items = this.#users.get(userId);
    if (items === undefined) return [];
    this.#expire(userId, items);
    if (items.size === 0) this.#users.delete(userId);
    return [...items.values()].map(({ item }) => item);
  }

  /** Forgets everything (reports nothing). */
  clear(): void {
    this.#users.clear();
  }

  #expire(userId: string, items: Map<string, { item: T; addedAt: number }>): void {
    const now = this.#clock.now();
    for (const [id, entry] of items) {
      if (now - entry.addedAt < this.ttlMs) break; // oldest first: the rest are younger
      items.delete(id);
      this.#onDrop(userId, entry.item, 'expired');
    }
  }
}
