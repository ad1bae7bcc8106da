/**
 * How `socketlab-ws` prints what arrives: pure, so the formats are tested without sockets.
 * @internal
 */

/** Bytes of a binary message shown in hex before the rest is cut (`…`). */
export const BINARY_PREVIEW_BYTES = 32;

/**
 * One received message as one line: text as it is, binary as `<binary N bytes: hex>`, the hex
 * cut after {@link BINARY_PREVIEW_BYTES} bytes and marked with `…`.
 */
export function formatMessage(data: Buffer, isBinary: boolean): string {
  if (!isBinary) return data.toString('utf8');
  const shown = data.subarray(0, BINARY_PREVIEW_BYTES).toString('hex');
  const more = data.length > BINARY_PREVIEW_BYTES ? '…' : '';
  return `<binary ${data.length} bytes${data.length === 0 ? '' : `: ${shown}${more}`}>`;
}

/**
 * Close codes that end a session normally (exit 0): 1000 normal, 1001 going away, 1005 a close
 * frame without a code (RFC 6455 §7.4.1).
 */
const NORMAL_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005]);

/** True when a connection that closed with `code` ended normally. */
export function isNormalClose(code: number): boolean {
  return NORMAL_CLOSE_CODES.has(code);
}

/** `code 1002 (reason "…")`, the reason left out when empty. */
export function formatClose(code: number, reason: string): string {
  return `code ${code}${reason === '' ? '' : ` (reason ${JSON.stringify(reason)})`}`;
}

/** `ws://host:port/`, an IPv6 address in brackets. */
export function webSocketUrl(host: string, port: number): string {
  return `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/**
 * Parses a `--header 'Name: value'` argument into its name and value (the value trimmed).
 * @returns `undefined` when there is no colon or the name is empty.
 */
export function parseHeaderArgument(text: string): [string, string] | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}
