// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter
import type net from 'node:net';

/** Which end to look at first (see the README's table). */
export type Side = 'client' | 'server' | 'either';

/** What `diagnose` says about an error. */
export interface Diagnosis {
  /** The most specific code found (`ECONNREFUSED`, `BASICS_ERR_TIMEOUT`, …), or `UNKNOWN`. */
  code: string;
  /** Which end to look at first. */
  side: Side;
  /** True when trying again later, unchanged, can succeed. */
  retryable: boolean;
  /** One sentence a person can act on. */
  advice: string;
}

/**
 * Says what a socket error means: its code, which side to look at, whether a retry can help,
 * and what to do. Accepts anything that was thrown; never throws itself.
 * @example diagnose(err) // { code: 'ECONNREFUSED', side: 'server', retryable: true, advice: 'Start the server…' }
 */
export function diagnose(err: unknown): Diagnosis {
  // TODO: find the most specific code (err.code, else err.cause.code, … at most 5 deep; an
  // operating-system code beats a BASICS_ERR_ wrapper), then look it up in a table built from
  // the README. No code at all: 'UNKNOWN'. A code not in the table: keep it, side 'either',
  // retryable false.
  throw new Error('not implemented yet: read exercises/05-failures/README.md');
}

/**
 * Connects to `host:port`, or rejects with a timeout error (`code: 'BASICS_ERR_TIMEOUT'`) after
 * `ms` milliseconds, leaving no socket behind either way.
 * @example const socket = await connectWithTimeout('127.0.0.1', 7000, 2_000);
 */
export function connectWithTimeout(host: string, port: number, ms: number): Promise<net.Socket> {
  // TODO: net.connect; a setTimeout that destroys the socket and rejects with a clear timeout
  // error; on 'connect' clear the timer and resolve; on 'error' clear the timer and reject.
  throw new Error('not implemented yet: read exercises/05-failures/README.md');
}
