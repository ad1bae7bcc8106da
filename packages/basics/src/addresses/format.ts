/**
 * The address formatter: bytes to the canonical text (dotted decimal for IPv4, RFC 5952 for IPv6).
 * Pure, and used by the parser for the `text` of every address it returns.
 */
import type { IpAddress } from './ip-address.ts';

/**
 * Formats an address canonically: dotted decimal for IPv4; for IPv6 the RFC 5952 form — lowercase,
 * no leading zeros, the longest run of two or more zero groups compressed to `::` (the first one
 * on a tie), and an IPv4-mapped address written `::ffff:a.b.c.d` (RFC 5952 §5).
 *
 * @param address - A parsed address (or any `{ bytes, zone? }` of 4 or 16 bytes).
 * @returns The canonical text, with `%zone` appended when there is a zone id.
 * @throws {RangeError} when `bytes` is not 4 or 16 bytes long.
 * @see RFC 5952 §4
 * @example
 * ```ts
 * formatAddress(parseAddress('2001:0db8:0000:0000:0001:0000:0000:0001')); // '2001:db8::1:0:0:1'
 * ```
 */
export function formatAddress(address: Pick<IpAddress, 'bytes' | 'zone'>): string {
  const { bytes, zone } = address;
  if (!(bytes instanceof Uint8Array) || (bytes.length !== 4 && bytes.length !== 16)) {
    throw new RangeError('an IP address is 4 bytes (IPv4) or 16 bytes (IPv6)');
  }
  return formatBytes(bytes) + (zone === undefined ? '' : `%${zone}`);
}

function wordAt(bytes: Uint8Array, i: number): number {
  return ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0);
}

/** The canonical text of 4 or 16 address bytes, without a zone id (the caller checked the length). */
export function formatBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (isV4Mapped(bytes)) return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  let bestAt = -1;
  let bestLength = 1; // a single zero group is never compressed (RFC 5952 §4.2.2)
  for (let at = 0, run = 0; at < 8; at++) {
    run = wordAt(bytes, at) === 0 ? run + 1 : 0;
    if (run > bestLength) {
      bestAt = at - run + 1;
      bestLength = run;
    }
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestAt) {
      text += '::';
      i += bestLength - 1;
    } else {
      text += (i > 0 && i !== bestAt + bestLength ? ':' : '') + wordAt(bytes, i).toString(16);
    }
  }
  return text;
}

/** True for `::ffff:0:0/96`, an IPv4 address carried in an IPv6 socket (RFC 4291 §2.5.5.2). */
export function isV4Mapped(bytes: Uint8Array): boolean {
  if (bytes.length !== 16 || bytes[10] !== 0xff || bytes[11] !== 0xff) return false;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return true;
}
