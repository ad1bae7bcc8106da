import type {
  ChatMessage,
  Limits,
  Message,
  MoveMessage,
  Player,
  RosterMessage,
} from '../../exercises/11-binary-messages/exercise.ts';

/**
 * A short solved file (the library's schema codec, `src/realtime/encoding/`, encodes another
 * format): a growing list of byte pieces to encode, a cursor that checks before every read to
 * decode, and every length and count checked against its limit and the bytes left before use.
 */
export type { ChatMessage, Limits, Message, MoveMessage, Player, RosterMessage };

export const ENCODING_ERROR = 'REALTIME_ERR_ENCODING';
export const VERSION = 1;
export const EVENT_IDS = { chat: 0x0001, move: 0x0002, roster: 0x0003 } as const;
export const DEFAULT_LIMITS = { maxStringBytes: 1024, maxItems: 256 } as const;

export class EncodingError extends Error {
  override name = 'EncodingError';
  readonly code = ENCODING_ERROR;
  constructor(
    what: string,
    readonly offset: number,
  ) {
    super(`${what} (at byte ${offset})`);
  }
}

/** The smallest player on the wire: u32 id, u16 name length (empty name), i32 score. */
const MIN_PLAYER_BYTES = 4 + 2 + 4;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function limitsOf(limits: Limits): Required<Limits> {
  return { ...DEFAULT_LIMITS, ...limits };
}

class Writer {
  private readonly pieces: Buffer[] = [];
  constructor(private readonly limits: Required<Limits>) {}
  private fixed(size: number, write: (b: Buffer) => void): void {
    const b = Buffer.alloc(size);
    write(b);
    this.pieces.push(b);
  }
  private int(value: number, min: number, max: number, what: string): void {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new EncodingError(`${what} ${value} is not an integer in ${min}..${max}`, 0);
    }
  }
  u8(v: number, what: string): void {
    this.int(v, 0, 0xff, what);
    this.fixed(1, (b) => b.writeUInt8(v));
  }
  u16(v: number, what: string): void {
    this.int(v, 0, 0xffff, what);
    this.fixed(2, (b) => b.writeUInt16BE(v));
  }
  u32(v: number, what: string): void {
    this.int(v, 0, 0xffff_ffff, what);
    this.fixed(4, (b) => b.writeUInt32BE(v));
  }
  i32(v: number, what: string): void {
    this.int(v, -0x8000_0000, 0x7fff_ffff, what);
    this.fixed(4, (b) => b.writeInt32BE(v));
  }
  f64(v: number): void {
    this.fixed(8, (b) => b.writeDoubleBE(v));
  }
  string(v: string, what: string): void {
    const bytes = Buffer.from(v, 'utf8');
    if (bytes.length > this.limits.maxStringBytes) {
      throw new EncodingError(
        `${what} has ${bytes.length} UTF-8 bytes, more than maxStringBytes ${this.limits.maxStringBytes}`,
        0,
      );
    }
    this.u16(bytes.length, what);
    this.pieces.push(bytes);
  }
  count(n: number, what: string): void {
    if (n > this.limits.maxItems) {
      throw new EncodingError(
        `${what} has ${n} items, more than maxItems ${this.limits.maxItems}`,
        0,
      );
    }
    this.u16(n, what);
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.pieces);
  }
}

export function encode(message: Message, limits: Limits = {}): Uint8Array {
  const w = new Writer(limitsOf(limits));
  const id = EVENT_IDS[message.event];
  if (id === undefined) throw new EncodingError(`unknown event ${String(message.event)}`, 0);
  w.u8(VERSION, 'version');
  w.u16(id, 'event id');
  switch (message.event) {
    case 'chat':
      w.u32(message.id, 'id');
      w.string(message.room, 'room');
      w.string(message.text, 'text');
      break;
    case 'move':
      w.u32(message.id, 'id');
      w.f64(message.x);
      w.f64(message.y);
      break;
    case 'roster':
      w.u32(message.tick, 'tick');
      w.count(message.players.length, 'players');
      for (const p of message.players) {
        w.u32(p.id, 'player id');
        w.string(p.name, 'player name');
        w.i32(p.score, 'player score');
      }
      break;
  }
  return w.bytes();
}

class Reader {
  at = 0;
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: Required<Limits>,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get left(): number {
    return this.bytes.length - this.at;
  }
  private need(size: number, what: string): number {
    if (this.left < size) {
      throw new EncodingError(
        `truncated: ${what} needs ${size} bytes, only ${this.left} left`,
        this.at,
      );
    }
    const at = this.at;
    this.at += size;
    return at;
  }
  u8(what: string): number {
    return this.view.getUint8(this.need(1, what));
  }
  u16(what: string): number {
    return this.view.getUint16(this.need(2, what));
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what));
  }
  i32(what: string): number {
    return this.view.getInt32(this.need(4, what));
  }
  f64(what: string): number {
    return this.view.getFloat64(this.need(8, what));
  }
  string(what: string): string {
    const lengthAt = this.at;
    const length = this.u16(`${what}'s length`);
    if (length > this.limits.maxStringBytes) {
      throw new EncodingError(
        `${what} declares ${length} bytes, more than maxStringBytes ${this.limits.maxStringBytes}`,
        lengthAt,
      );
    }
    if (length > this.left) {
      throw new EncodingError(`${what} declares ${length} bytes, only ${this.left} left`, lengthAt);
    }
    const start = this.need(length, what);
    try {
      return utf8.decode(this.bytes.subarray(start, start + length));
    } catch {
      throw new EncodingError(`${what} is not valid UTF-8`, start);
    }
  }
  count(what: string, minItemBytes: number): number {
    const countAt = this.at;
    const count = this.u16(`${what}'s count`);
    if (count > this.limits.maxItems) {
      throw new EncodingError(
        `${what} declares ${count} items, more than maxItems ${this.limits.maxItems}`,
        countAt,
      );
    }
    if (count * minItemBytes > this.left) {
      throw new EncodingError(
        `${what} declares ${count} items of at least ${minItemBytes} bytes, only ${this.left} bytes left`,
        countAt,
      );
    }
    return count;
  }
}

export function decode(bytes: Uint8Array, limits: Limits = {}): Message {
  const r = new Reader(bytes, limitsOf(limits));
  const version = r.u8('version');
  if (version !== VERSION) throw new EncodingError(`version ${version}, expected ${VERSION}`, 0);
  const eventId = r.u16('event id');
  let message: Message;
  if (eventId === EVENT_IDS.chat) {
    message = { event: 'chat', id: r.u32('id'), room: r.string('room'), text: r.string('text') };
  } else if (eventId === EVENT_IDS.move) {
    message = { event: 'move', id: r.u32('id'), x: r.f64('x'), y: r.f64('y') };
  } else if (eventId === EVENT_IDS.roster) {
    const tick = r.u32('tick');
    const count = r.count('players', MIN_PLAYER_BYTES);
    const players: Player[] = [];
    for (let i = 0; i < count; i++) {
      players.push({
        id: r.u32('player id'),
        name: r.string('player name'),
        score: r.i32('player score'),
      });
    }
    message = { event: 'roster', tick, players };
  } else {
    throw new EncodingError(`unknown event id 0x${eventId.toString(16).padStart(4, '0')}`, 1);
  }
  if (r.left > 0) throw new EncodingError(`${r.left} trailing bytes after the message`, r.at);
  return message;
}

export function sizes(message: Message): { binary: number; json: number } {
  return {
    binary: encode(message).length,
    json: Buffer.byteLength(JSON.stringify(message), 'utf8'),
  };
}
