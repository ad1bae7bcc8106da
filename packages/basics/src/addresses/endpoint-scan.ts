/**
 * The fast path of `parseEndpoint`: one pass over the character codes of a `host:port` or
 * `[v6]:port` that is plainly valid, with no regex, no split, and no string but the host it
 * returns. Anything it is not sure of (an error, a unix path, a zone it cannot vouch for, a name
 * with `_`, whitespace, non-ASCII …) it leaves to the full parser in `endpoint.ts`, which gives
 * the verdict and its message: it only ever returns what that parser would return.
 */
import { DNS_LABEL_MAX_LENGTH, HOSTNAME_MAX_LENGTH } from '../dns/index.ts';
import { scanAddress, scannedV6Text } from './parse.ts';

/** What the fast path returns: the `ip` and `name` kinds of `Endpoint`. */
export type ScannedEndpoint =
  | { readonly kind: 'ip'; readonly family: 4 | 6; readonly host: string; readonly port: number }
  | { readonly kind: 'name'; readonly host: string; readonly port: number };

const COLON = 0x3a;
const DOT = 0x2e;
const HYPHEN = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACKET = 0x5b;
// Read once: an imported binding can be a getter call per read once transpiled (tsx, vitest).
const NAME_MAX_LENGTH = HOSTNAME_MAX_LENGTH;
const LABEL_MAX_LENGTH = DNS_LABEL_MAX_LENGTH;
/** The longest port text: 65535. */
const PORT_MAX_DIGITS = 5;

/** What {@link scanHost} found in `text[0, end)`. */
const NOT_SURE = 0;
const NAME = 1;
const NAME_WITH_UPPERCASE = 2;
const LAST_LABEL_NUMERIC = 3;

/**
 * Parses `text` when it is a plainly valid `host:port`, `host` (with `defaultPort`) or
 * `[v6]:port`; `undefined` sends it to the full parser.
 */
export function scanEndpoint(
  text: string,
  defaultPort: number | undefined,
): ScannedEndpoint | undefined {
  const length = text.length;
  if (length === 0) return undefined;
  if (text.charCodeAt(0) === OPEN_BRACKET) return scanBracketed(text, defaultPort);
  if (text.startsWith('unix:')) return undefined;
  let colon = 0;
  while (colon < length && text.charCodeAt(colon) !== COLON) colon++;
  const port = scanPort(text, colon, defaultPort);
  if (port < 0) return undefined;
  const host = scanHost(text, colon);
  if (host === NAME) return { kind: 'name', host: text.slice(0, colon), port };
  if (host === NAME_WITH_UPPERCASE) {
    return { kind: 'name', host: text.slice(0, colon).toLowerCase(), port };
  }
  // A strict dotted quad is already canonical: the text is its own canonical form.
  if (host === LAST_LABEL_NUMERIC && scanAddress(text, 0, colon) === 4) {
    return { kind: 'ip', family: 4, host: text.slice(0, colon), port };
  }
  return undefined;
}

function scanBracketed(text: string, defaultPort: number | undefined): ScannedEndpoint | undefined {
  const close = text.indexOf(']', 1);
  if (close < 2) return undefined;
  const port = scanPort(text, close + 1, defaultPort);
  if (port < 0 || scanAddress(text, 1, close) !== 6) return undefined;
  // The scan accepted at most one '%', followed by a valid zone id: keep that as it was written.
  const percent = text.indexOf('%', 1);
  const host =
    percent > 0 && percent < close
      ? `${scannedV6Text()}%${text.slice(percent + 1, close)}`
      : scannedV6Text();
  return { kind: 'ip', family: 6, host, port };
}

/**
 * The port after the host, which ends at `from`: nothing (then `defaultPort`), or `:` and 1 to 5
 * decimal digits up to 65535, to the end of the text. -1 when it is anything else.
 */
function scanPort(text: string, from: number, defaultPort: number | undefined): number {
  const length = text.length;
  if (from === length) return defaultPort ?? -1;
  if (text.charCodeAt(from) !== COLON) return -1;
  const digits = length - from - 1;
  if (digits < 1 || digits > PORT_MAX_DIGITS) return -1;
  let port = 0;
  for (let i = from + 1; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return -1;
    port = port * 10 + (c - ZERO);
  }
  return port <= 65_535 ? port : -1;
}

/**
 * Checks `text[0, end)` as a host name by the strict rules of `checkHostname` (labels of 1 to 63
 * letters, digits and inner hyphens, at most 253 characters, one trailing dot allowed), and says
 * whether its last label is numeric (then it can only be an IPv4 address). {@link NOT_SURE} for
 * anything else, including a last label like `0x1f` that resolvers read as a number.
 */
function scanHost(text: string, end: number): number {
  const bare = end > 0 && text.charCodeAt(end - 1) === DOT ? end - 1 : end;
  if (bare === 0 || bare > NAME_MAX_LENGTH) return NOT_SURE;
  let uppercase = false;
  let labelStart = 0;
  let numeric = true; // the label so far holds only digits
  for (let i = 0; i <= bare; i++) {
    const c = i < bare ? text.charCodeAt(i) : DOT;
    if (c === DOT) {
      const size = i - labelStart;
      if (size === 0 || size > LABEL_MAX_LENGTH) return NOT_SURE;
      if (text.charCodeAt(labelStart) === HYPHEN || text.charCodeAt(i - 1) === HYPHEN) {
        return NOT_SURE;
      }
      if (i < bare) {
        labelStart = i + 1;
        numeric = true;
      }
    } else if (c >= ZERO && c <= NINE) {
      // a digit keeps `numeric` as it is
    } else if ((c >= 0x61 && c <= 0x7a) || c === HYPHEN) {
      numeric = false;
    } else if (c >= 0x41 && c <= 0x5a) {
      numeric = false;
      uppercase = true;
    } else {
      return NOT_SURE;
    }
  }
  if (numeric) return bare === end ? LAST_LABEL_NUMERIC : NOT_SURE;
  if (looksHex(text, labelStart, bare)) return NOT_SURE;
  return uppercase ? NAME_WITH_UPPERCASE : NAME;
}

/** True for `0x` and hex digits (`0x`, `0x7f`, `0X1F`): a number to resolvers. */
function looksHex(text: string, start: number, end: number): boolean {
  if (end - start < 2 || text.charCodeAt(start) !== ZERO) return false;
  if ((text.charCodeAt(start + 1) | 0x20) !== 0x78) return false;
  for (let i = start + 2; i < end; i++) {
    const c = text.charCodeAt(i) | 0x20;
    if (!((c >= ZERO && c <= NINE) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}
