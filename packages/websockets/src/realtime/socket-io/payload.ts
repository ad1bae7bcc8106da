/**
 * Checking a client's payload before anything is done with it (TOOLCHAIN pitfall 12):
 * socket.io-parser walks an emitted value recursively to find binary parts, so relaying a value
 * nested a few thousand levels deep throws `RangeError: Maximum call stack size exceeded` from
 * inside the handler and takes the process down. Parsing it was fine (`JSON.parse` does not
 * recurse on the stack), so the server must refuse it between receiving and emitting.
 * @see https://socket.io/docs/v4/middlewares/ (socket middlewares: `socket.use`)
 */
import type { Event } from 'socket.io';
import { RealtimeError } from '../errors.ts';
import type { AckRefusal } from './event-map.ts';

/** The deepest nesting {@link checkPayload} accepts by default: 16 levels of arrays and objects. */
export const DEFAULT_MAX_EVENT_DEPTH = 16;
/** The largest payload {@link checkPayload} accepts by default, as counted there: 16 KiB. */
export const DEFAULT_MAX_EVENT_BYTES = 16 * 1024;

/** Limits of {@link checkPayload}. */
export interface PayloadLimits {
  /** Arrays and objects nested deeper than this are refused (the top value is depth 1). @default 16 */
  maxDepth?: number;
  /**
   * A bound on the payload's size: string and key bytes in UTF-8, binary bytes, 8 per number,
   * 1 per other value. @default 16384
   */
  maxBytes?: number;
}

function limitsOf(limits: PayloadLimits): { maxDepth: number; maxBytes: number } {
  const { maxDepth = DEFAULT_MAX_EVENT_DEPTH, maxBytes = DEFAULT_MAX_EVENT_BYTES } = limits;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
    throw new RangeError(`maxDepth must be a positive integer, got ${maxDepth}`);
  }
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  }
  return { maxDepth, maxBytes };
}

/**
 * Checks that `value` is plain data (null, booleans, finite numbers, strings, binary, arrays and
 * plain objects) within `limits`, without recursion: an explicit stack, so no payload can
 * overflow it, and the walk stops at the first value past a limit.
 * @throws {RealtimeError} `REALTIME_ERR_PAYLOAD`, saying which limit and where (`$[0].a`).
 * @throws {RangeError} for limits that are not positive integers.
 * @example checkPayload({ room: 'lobby', text: 'hi' }); // fine
 * @example checkPayload(JSON.parse('[[[[1]]]]'), { maxDepth: 3 }); // throws REALTIME_ERR_PAYLOAD
 */
export function checkPayload(value: unknown, limits: PayloadLimits = {}): void {
  walk(value, limitsOf(limits), 0);
}

/** The walk of {@link checkPayload}; `startDepth` -1 makes an arguments array not count as a level. */
function walk(
  value: unknown,
  { maxDepth, maxBytes }: { maxDepth: number; maxBytes: number },
  startDepth: number,
): void {
  const refuse = (what: string, path: string): never => {
    throw new RealtimeError('REALTIME_ERR_PAYLOAD', `payload refused: ${what} at ${path}`);
  };
  let bytes = 0;
  const stack: { value: unknown; depth: number; path: string }[] = [
    { value, depth: startDepth, path: '$' },
  ];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value: v, depth, path } = item;
    if (v === null || typeof v === 'boolean') bytes += 1;
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) refuse(`a number that is not finite (${v})`, path);
      bytes += 8;
    } else if (typeof v === 'string') bytes += Buffer.byteLength(v);
    else if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) bytes += v.byteLength;
    else if (Array.isArray(v) || (typeof v === 'object' && isPlainObject(v))) {
      if (depth + 1 > maxDepth) refuse(`nesting deeper than ${maxDepth} levels`, path);
      bytes += 2;
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) {
          stack.push({ value: v[i], depth: depth + 1, path: `${path}[${i}]` });
        }
      } else {
        for (const [key, child] of Object.entries(v)) {
          bytes += Buffer.byteLength(key);
          stack.push({ value: child, depth: depth + 1, path: `${path}.${key.slice(0, 40)}` });
        }
      }
    } else refuse(`a value that is not plain data (${typeof v})`, path);
    if (bytes > maxBytes) refuse(`more than ${maxBytes} bytes`, path);
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Options of {@link payloadGuard}. */
export interface PayloadGuardOptions extends PayloadLimits {
  /**
   * The contract checked at run time: for each event a client may send, a check of its
   * arguments (without the ack callback) that returns what is wrong, or `undefined`. When given,
   * an event not named here is refused too.
   */
  events?: Readonly<Record<string, (args: readonly unknown[]) => string | undefined>>;
  /** Called with every refusal (to log it, or count a client's refusals and disconnect it). */
  onRefused?: (error: RealtimeError, event: string) => void;
}

/**
 * A socket middleware (`socket.use(payloadGuard())`) that runs {@link checkPayload} on every
 * incoming event's arguments, and the event's own check from `events`, before any handler sees
 * it. A refused event is dropped: its handlers never run; when the client asked for an ack, the
 * ack is answered with an {@link AckRefusal} `{ error: { code: 'REALTIME_ERR_PAYLOAD', reason } }`
 * (which {@link emitWithAckTimeout} turns into a `RealtimeError`). The connection stays open.
 * @example
 * io.on('connection', (socket) => {
 *   socket.use(payloadGuard({ maxDepth: 8, events: { 'chat:send': ([m]) => (typeof m === 'object' ? undefined : 'not a message') } }));
 * });
 */
export function payloadGuard(
  options: PayloadGuardOptions = {},
): (packet: Event, next: (err?: Error) => void) => void {
  const limits = limitsOf(options);
  const { events, onRefused } = options;
  return (packet, next) => {
    const [event, ...rest] = packet;
    const last = rest.at(-1);
    const ack = typeof last === 'function' ? (last as (reply: AckRefusal) => void) : undefined;
    const args = ack ? rest.slice(0, -1) : rest;
    let problem: RealtimeError | undefined;
    try {
      // The arguments array is one level of its own: `$[0]` is the first argument.
      walk(args, limits, -1);
      const check = events && Object.hasOwn(events, event) ? events[event] : undefined;
      if (events && !check) {
        problem = new RealtimeError(
          'REALTIME_ERR_PAYLOAD',
          `event '${String(event).slice(0, 60)}' is not part of the contract`,
        );
      } else {
        const wrong = check?.(args);
        if (wrong !== undefined) {
          problem = new RealtimeError(
            'REALTIME_ERR_PAYLOAD',
            `event '${String(event).slice(0, 60)}' refused: ${wrong}`,
          );
        }
      }
    } catch (err) {
      if (!(err instanceof RealtimeError)) throw err;
      problem = err;
    }
    if (!problem) return next();
    onRefused?.(problem, event);
    ack?.({ error: { code: problem.code, reason: problem.message } });
  };
}
