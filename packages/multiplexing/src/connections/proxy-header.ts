/**
 * The PROXY protocol, version 1 (the human-readable header): a line a TCP proxy (nginx's
 * `proxy_protocol on;`, HAProxy's `send-proxy`) writes first on every connection it opens to a
 * backend, saying who the client really is. Behind a proxy every connection comes from the
 * proxy's own address, so limits per address would count all clients as one; with the header
 * they count each client again.
 *
 *   PROXY TCP4 203.0.113.7 192.0.2.1 56324 4000\r\n
 *   PROXY TCP6 2001:db8::7 2001:db8::1 56324 4000\r\n
 *   PROXY UNKNOWN\r\n          (the proxy does not know: use the connection's own endpoints)
 *
 * Source: HAProxy's "The PROXY protocol, Versions 1 & 2" (doc/proxy-protocol.txt), section 2.1:
 * the line starts with `PROXY` and a single space, ends with CRLF, is at most 107 bytes with it,
 * and its fields are separated by exactly one space; after `UNKNOWN` the receiver ignores the
 * rest of the line. Only trust the header on a port that nothing but the proxy can reach:
 * anyone else could write one and pick their own address.
 */
import { isIPv4, isIPv6, type Socket } from 'node:net';
import { MultiplexingError } from '../errors.ts';

/** The longest version 1 header, CRLF included (the spec's worst case: TCP6 with full addresses). */
export const PROXY_V1_MAX_BYTES = 107;

const PREFIX = Buffer.from('PROXY ', 'latin1');
const CR = 0x0d;
const LF = 0x0a;

/** One end of the proxied connection. */
export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

/** What a version 1 header says. */
export type ProxyHeader =
  | {
      readonly family: 'TCP4' | 'TCP6';
      /** The client, as the proxy saw it. */
      readonly source: ProxyEndpoint;
      /** Where the client connected to (the proxy's listening address). */
      readonly destination: ProxyEndpoint;
    }
  | { readonly family: 'UNKNOWN' };

/** The outcome of {@link parseProxyHeaderV1}. */
export type ProxyHeaderParse =
  | { readonly kind: 'need-more' }
  | {
      readonly kind: 'header';
      readonly header: ProxyHeader;
      /** The header's bytes, CRLF included: what follows is the client's own stream. */
      readonly length: number;
    };

const refuse = (why: string): MultiplexingError =>
  new MultiplexingError('MULTIPLEXING_ERR_PROTOCOL', `bad PROXY protocol header: ${why}`);

/**
 * Reads a PROXY protocol version 1 header from the start of a connection's bytes (all that has
 * arrived so far). `need-more` while what is there could still become a header; once the CRLF is
 * in, the header and its length. Never reads past the CRLF.
 * @throws {MultiplexingError} `MULTIPLEXING_ERR_PROTOCOL` as soon as the bytes cannot be a header:
 *   another start, no CRLF within 107 bytes, a CR not followed by LF, a field out of form.
 * @example parseProxyHeaderV1(Buffer.from('PROXY UNKNOWN\r\nhello')) // { kind: 'header', header: { family: 'UNKNOWN' }, length: 15 }
 */
export function parseProxyHeaderV1(bytes: Uint8Array): ProxyHeaderParse {
  const prefix = Math.min(bytes.length, PREFIX.length);
  for (let i = 0; i < prefix; i++) {
    if (bytes[i] !== PREFIX[i]) throw refuse('the connection does not start with "PROXY "');
  }
  const end = Math.min(bytes.length, PROXY_V1_MAX_BYTES);
  for (let i = PREFIX.length; i < end; i++) {
    const byte = bytes[i] as number;
    if (byte === CR) {
      // The LF would be byte 108: past the longest header.
      if (i + 2 > PROXY_V1_MAX_BYTES) break;
      if (i + 1 === bytes.length) return { kind: 'need-more' };
      if (bytes[i + 1] !== LF) throw refuse('a CR not followed by LF');
      return { kind: 'header', header: fields(bytes, i), length: i + 2 };
    }
    // Printable US-ASCII only: the header is text, and a byte outside it is not a proxy's.
    if (byte < 0x20 || byte > 0x7e) throw refuse(`byte 0x${byte.toString(16)} at offset ${i}`);
  }
  if (bytes.length >= PROXY_V1_MAX_BYTES) {
    throw refuse(`no CRLF within ${PROXY_V1_MAX_BYTES} bytes`);
  }
  return { kind: 'need-more' };
}

/** A header read off a socket by {@link readProxyHeader}. */
export interface ProxyHeaderRead {
  readonly header: ProxyHeader;
  /** Bytes that arrived after the header in the same chunk: the client's first. */
  readonly rest: Buffer;
}

/**
 * Reads the PROXY header off the start of `socket` and resolves with it and the bytes after it
 * (put them back with `socket.unshift(rest)` before anyone else reads). The socket is paused
 * when it resolves, with no listener of ours left on it.
 * @throws {MultiplexingError} (rejection) `MULTIPLEXING_ERR_PROTOCOL` for bytes that are not a
 *   header, `MULTIPLEXING_ERR_TIMEOUT` when none is complete within `timeoutMs`, and
 *   `MULTIPLEXING_ERR_CONNECTION` when the socket ends, fails or closes first. The socket is
 *   left as it is: destroy it.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyHeaderRead> {
  return new Promise((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    const done = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onGone);
      socket.off('error', onGone);
      socket.off('close', onGone);
      socket.pause();
    };
    const fail = (error: MultiplexingError): void => {
      done();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      let parsed: ProxyHeaderParse;
      try {
        parsed = parseProxyHeaderV1(received);
      } catch (error) {
        fail(error as MultiplexingError);
        return;
      }
      if (parsed.kind === 'need-more') return;
      done();
      resolve({ header: parsed.header, rest: received.subarray(parsed.length) });
    };
    const onGone = (error?: unknown): void => {
      fail(
        new MultiplexingError(
          'MULTIPLEXING_ERR_CONNECTION',
          'the connection ended before its PROXY protocol header',
          error instanceof Error ? { cause: error } : undefined,
        ),
      );
    };
    const timer = setTimeout(() => {
      fail(
        new MultiplexingError(
          'MULTIPLEXING_ERR_TIMEOUT',
          `no PROXY protocol header within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('end', onGone);
    socket.once('error', onGone);
    socket.once('close', onGone);
  });
}

/** The header's fields, from the line before the CR at `cr`. */
function fields(bytes: Uint8Array, cr: number): ProxyHeader {
  const line = Buffer.from(bytes.buffer, bytes.byteOffset, cr).toString('latin1');
  const parts = line.split(' ');
  const family = parts[1];
  if (family === 'UNKNOWN') return { family };
  if (family !== 'TCP4' && family !== 'TCP6') {
    throw refuse(`the family ${JSON.stringify(family ?? '')} is none of TCP4, TCP6, UNKNOWN`);
  }
  if (parts.length !== 6) {
    throw refuse(`${family} needs 4 fields after it, one space apart: "${line}"`);
  }
  const [, , sourceAddress, destinationAddress, sourcePort, destinationPort] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const isAddress = family === 'TCP4' ? isIPv4 : isIPv6;
  for (const address of [sourceAddress, destinationAddress]) {
    if (!isAddress(address)) throw refuse(`${JSON.stringify(address)} is not an ${family} address`);
  }
  return {
    family,
    source: { address: sourceAddress, port: portOf(sourcePort) },
    destination: { address: destinationAddress, port: portOf(destinationPort) },
  };
}

function portOf(text: string): number {
  // Decimal, no sign, no leading zero: one spelling per port.
  if (!/^(?:0|[1-9]\d{0,4})$/.test(text) || Number(text) > 65_535) {
    throw refuse(`${JSON.stringify(text)} is not a port (0–65535)`);
  }
  return Number(text);
}
