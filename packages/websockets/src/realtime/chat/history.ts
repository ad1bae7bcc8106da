/**
 * Chat history, pure and bounded: the last `perRoom` messages of each room in a ring buffer, and
 * at most `maxRooms` rooms (the room written to least recently is forgotten first), so memory is
 * bounded by `maxRooms × perRoom` messages whatever clients do.
 */

/** A fixed-capacity ring buffer: pushing into a full ring drops its oldest item. */
export class HistoryRing<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  #start = 0;
  #size = 0;

  /** @throws {RangeError} when `capacity` is not an integer >= 1. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be an integer >= 1, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity);
  }

  /** The number of items held. */
  get size(): number {
    return this.#size;
  }

  /** Appends `item`. @returns the item dropped to make room, if the ring was full. */
  push(item: T): T | undefined {
    if (this.#size < this.capacity) {
      this.#items[(this.#start + this.#size) % this.capacity] = item;
      this.#size++;
      return undefined;
    }
    const dropped = this.#items[this.#start];
    this.#items[this.#start] = item;
    this.#start = (this.#start + 1) % this.capacity;
    return dropped;
  }

  /** The items, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.#size; i++)
      out.push(this.#items[(this.#start + i) % this.capacity] as T);
    return out;
  }
}

/** One stored chat message: everything in it was set by the server except `text`, checked. */
export interface ChatMessage {
  /** The server's id for the message (what the sender's ack carries). */
  readonly id: string;
  /**
   * The order the server accepted it in: increasing (1, 2, 3 … across all rooms of one history, so
   * it never restarts, even for a room forgotten and written again). The `before` cursor of a
   * history request.
   */
  readonly seq: number;
  readonly room: string;
  readonly userId: string;
  readonly text: string;
  /** When the server accepted it, in ms since the epoch. */
  readonly at: number;
}

/** Options of {@link ChatHistory}. */
export interface ChatHistoryOptions {
  /** Messages kept per room. @default 50 */
  perRoom?: number;
  /** Rooms kept; past it, the room written to least recently is forgotten. @default 1000 */
  maxRooms?: number;
}

/**
 * The recent messages of every room, numbered in the order they were accepted.
 * @example
 * const history = new ChatHistory({ perRoom: 100 });
 * history.append({ id: 'm1', room: 'general', userId: 'ada', text: 'hi', at: Date.now() }); // seq 1
 * history.recent('general', { limit: 20 }); // the last 20, oldest first
 */
export class ChatHistory {
  readonly perRoom: number;
  readonly maxRooms: number;
  readonly #rooms = new Map<string, HistoryRing<ChatMessage>>();
  #seq = 0;

  /** @throws {RangeError} when `perRoom` or `maxRooms` is not an integer >= 1. */
  constructor({ perRoom = 50, maxRooms = 1000 }: ChatHistoryOptions = {}) {
    if (!Number.isInteger(maxRooms) || maxRooms < 1) {
      throw new RangeError(`maxRooms must be an integer >= 1, got ${maxRooms}`);
    }
    new HistoryRing(perRoom); // checks perRoom
    this.perRoom = perRoom;
    this.maxRooms = maxRooms;
  }

  /** The number of rooms with a history. */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Stores a message, giving it the next `seq`. @returns the stored message. */
  append(message: Omit<ChatMessage, 'seq'>): ChatMessage {
    let room = this.#rooms.get(message.room);
    if (room === undefined) {
      room = new HistoryRing<ChatMessage>(this.perRoom);
      if (this.#rooms.size >= this.maxRooms) {
        const oldest = this.#rooms.keys().next().value as string;
        this.#rooms.delete(oldest);
      }
    } else {
      this.#rooms.delete(message.room); // re-inserted below: most recently written last
    }
    this.#rooms.set(message.room, room);
    this.#seq++;
    const stored: ChatMessage = { ...message, seq: this.#seq };
    room.push(stored);
    return stored;
  }

  /**
   * The last `limit` messages of `room` (all it keeps when `limit` is larger) with `seq` below
   * `before` (when given), oldest first.
   */
  recent(
    room: string,
    { limit, before }: { limit?: number | undefined; before?: number | undefined } = {},
  ): ChatMessage[] {
    const all = this.#rooms.get(room)?.toArray() ?? [];
    const older = before === undefined ? all : all.filter((message) => message.seq < before);
    const count = Math.max(0, Math.min(limit ?? this.perRoom, this.perRoom));
    return count === 0 ? [] : older.slice(-count);
  }

  /** Forgets the history of `room`. */
  delete(room: string): boolean {
    return this.#rooms.delete(room);
  }
}
