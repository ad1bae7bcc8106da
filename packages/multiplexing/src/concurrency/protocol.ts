/**
 * The request/response protocol every concurrency model serves, one text line each way over
 * stage 2's line framing (`lineCodec`), so `nc` can speak it:
 *
 *     <id> io <ms>               wait <ms> milliseconds (a timer standing for a downstream call)
 *     <id> cpu <rounds> <seed>   hash <seed> with SHA-256, <rounds> times in a chain
 *     <id> ok <pid> <result>     the answer, and the process that computed it
 *     <id> error <CODE> <text>   a refused or failed request (a MultiplexingError code)
 *
 * Requests carry an id because answers come back in the order they complete, not the order they
 * were asked: the point of the lesson. Pure: text in, values out.
 */
import { quoteInput } from '@socketlab/internal';
import {
  MULTIPLEXING_ERROR_CODES,
  MultiplexingError,
  type MultiplexingErrorCode,
} from '../errors.ts';

/**
 * The bounds of the protocol; a request past one is answered with `MULTIPLEXING_ERR_PROTOCOL`.
 * A longer line closes the connection (stage 2's line codec refuses it).
 */
export const CONCURRENCY_LIMITS = {
  /** The longest line, without its `\n`. */
  maxLineBytes: 256,
  /** The longest id: letters, digits, `_` and `-`. */
  maxIdLength: 16,
  /** The longest `io` wait, in milliseconds. */
  maxIoMs: 60_000,
  /** The most `cpu` rounds (about 15 s of hashing on one core of a 2020s laptop). */
  maxCpuRounds: 10_000_000,
  /** The longest `cpu` seed: printable ASCII without spaces. */
  maxSeedLength: 64,
} as const;

/** The kinds of request: `io` waits on something asynchronous, `cpu` computes. */
export const CONCURRENCY_REQUEST_KINDS = ['io', 'cpu'] as const;

/** One request, as {@link parseConcurrencyRequest} reads it. */
export type ConcurrencyRequest =
  | { readonly id: string; readonly kind: 'io'; readonly ms: number }
  | { readonly id: string; readonly kind: 'cpu'; readonly rounds: number; readonly seed: string };

/** One answer, as {@link parseConcurrencyResponse} reads it. */
export type ConcurrencyResponse =
  | { readonly id: string; readonly ok: true; readonly pid: number; readonly result: string }
  | {
      readonly id: string;
      readonly ok: false;
      readonly code: MultiplexingErrorCode;
      readonly message: string;
    };

const ID = /^[A-Za-z0-9_-]{1,16}$/;
const SEED = /^[!-~]{1,64}$/;
const DIGITS = /^\d{1,9}$/;

function protocolError(message: string): MultiplexingError {
  return new MultiplexingError('MULTIPLEXING_ERR_PROTOCOL', message);
}

function integerField(name: string, raw: string | undefined, min: number, max: number): number {
  const value = raw !== undefined && DIGITS.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw protocolError(`${name} must be an integer from ${min} to ${max}, got ${quoteInput(raw)}`);
  }
  return value;
}

/**
 * The id a line starts with, when it is a valid one: the server answers a malformed request
 * under its id when it can, under `-` otherwise.
 */
export function requestIdOf(line: string): string | undefined {
  const id = line.split(' ', 1)[0] ?? '';
  return ID.test(id) ? id : undefined;
}

/**
 * Reads one request line (without its `\n`).
 * @throws {MultiplexingError} `MULTIPLEXING_ERR_PROTOCOL` for an unknown kind, a bad id, a field
 *   out of {@link CONCURRENCY_LIMITS} or extra fields; the message says which.
 * @example
 * ```ts
 * parseConcurrencyRequest('7 cpu 1000 abc'); // { id: '7', kind: 'cpu', rounds: 1000, seed: 'abc' }
 * ```
 */
export function parseConcurrencyRequest(line: string): ConcurrencyRequest {
  const fields = line.split(' ');
  const [id, kind] = fields;
  if (id === undefined || !ID.test(id)) {
    throw protocolError(
      `a request starts with an id (1 to 16 of A-Z a-z 0-9 _ -), got ${quoteInput(line)}`,
    );
  }
  if (kind === 'io' && fields.length === 3) {
    return { id, kind, ms: integerField('io ms', fields[2], 0, CONCURRENCY_LIMITS.maxIoMs) };
  }
  if (kind === 'cpu' && fields.length === 4) {
    const rounds = integerField('cpu rounds', fields[2], 1, CONCURRENCY_LIMITS.maxCpuRounds);
    const seed = fields[3] as string;
    if (!SEED.test(seed)) {
      throw protocolError(
        `cpu seed must be 1 to 64 printable ASCII characters, got ${quoteInput(seed)}`,
      );
    }
    return { id, kind, rounds, seed };
  }
  throw protocolError(
    `expected "<id> io <ms>" or "<id> cpu <rounds> <seed>", got ${quoteInput(line)}`,
  );
}

/**
 * Writes one request line (without its `\n`), checked as the server will check it.
 * @throws {MultiplexingError} `MULTIPLEXING_ERR_PROTOCOL` for a request the server would refuse.
 * @example formatConcurrencyRequest({ id: '1', kind: 'io', ms: 5 }); // '1 io 5'
 */
export function formatConcurrencyRequest(request: ConcurrencyRequest): string {
  const line =
    request.kind === 'io'
      ? `${request.id} io ${request.ms}`
      : `${request.id} cpu ${request.rounds} ${request.seed}`;
  parseConcurrencyRequest(line);
  return line;
}

/**
 * Writes one answer line (without its `\n`); an error's message is cut at the first newline.
 * @example formatConcurrencyResponse({ id: '1', ok: true, pid: 42, result: '5' }); // '1 ok 42 5'
 */
export function formatConcurrencyResponse(response: ConcurrencyResponse): string {
  if (response.ok) return `${response.id} ok ${response.pid} ${response.result}`;
  const message = response.message.split('\n', 1)[0] ?? '';
  return `${response.id} error ${response.code} ${message}`.slice(0, 1_024);
}

/**
 * Reads one answer line (without its `\n`).
 * @throws {MultiplexingError} `MULTIPLEXING_ERR_PROTOCOL` when it is not an answer.
 * @example parseConcurrencyResponse('1 ok 42 5'); // { id: '1', ok: true, pid: 42, result: '5' }
 */
export function parseConcurrencyResponse(line: string): ConcurrencyResponse {
  const match = /^(\S+) (ok (\d+) (\S+)|error (\S+) ?(.*))$/.exec(line);
  const id = match?.[1];
  if (match === null || id === undefined) {
    throw protocolError(
      `expected "<id> ok <pid> <result>" or "<id> error <code> <text>", got ${quoteInput(line)}`,
    );
  }
  if (match[3] !== undefined) {
    return { id, ok: true, pid: Number(match[3]), result: match[4] as string };
  }
  const code = match[5] as MultiplexingErrorCode;
  if (!MULTIPLEXING_ERROR_CODES.includes(code)) {
    throw protocolError(`unknown error code in ${quoteInput(line)}`);
  }
  return { id, ok: false, code, message: match[6] ?? '' };
}
