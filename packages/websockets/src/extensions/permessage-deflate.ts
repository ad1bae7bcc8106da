/**
 * permessage-deflate negotiation (RFC 7692 §7.1), pure: the options a side is configured with,
 * the client's offer, the server's choice among offers and its answer, and the client's check of
 * that answer. The compression itself is in `deflate-context.ts`.
 */
import { checkInteger } from '@socketlab/internal';
import { quoteInput, WebSocketError } from '../errors.ts';
import type { ExtensionOffer } from '../handshake/index.ts';

/** The extension's token in `Sec-WebSocket-Extensions`. @see RFC 7692 §7 */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** The default {@link PerMessageDeflateOptions.threshold}: messages under 1 KiB are sent as they are. */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;

/** The smallest and largest LZ77 window, as base-2 logarithms. @see RFC 7692 §7.1.2 */
const MIN_WINDOW_BITS = 8;
const MAX_WINDOW_BITS = 15;

/**
 * How one side uses permessage-deflate (`perMessageDeflate` of the server and the client). Every
 * field is optional: `perMessageDeflate: true` means all defaults.
 */
export interface PerMessageDeflateOptions {
  /**
   * Compress only messages of at least this many bytes (smaller ones gain little and cost a
   * round through zlib). @default 1024
   */
  readonly threshold?: number;
  /** zlib's compression level, 0 (none) to 9 (best). @default 6 (zlib's default) */
  readonly level?: number;
  /** zlib's memLevel, 1–9: the deflater's hash table is 2^(memLevel+9) bytes. @default 8 */
  readonly memLevel?: number;
  /**
   * The server resets its compression context after every message (less memory kept between
   * messages, worse ratio). A client asks for it; a server imposes it. @default false
   */
  readonly serverNoContextTakeover?: boolean;
  /** The client resets its compression context after every message; as above. @default false */
  readonly clientNoContextTakeover?: boolean;
  /** The largest LZ77 window (8–15, as 2^n bytes) the server may compress with. @default 15 */
  readonly serverMaxWindowBits?: number;
  /**
   * The largest window the client may compress with (8–15). A server refuses an offer that does
   * not let it set this when it is set below 15. @default 15
   */
  readonly clientMaxWindowBits?: number;
}

/** What both ends agreed to (RFC 7692 §7.1), with the defaults of what was not said filled in. */
export interface DeflateAgreement {
  /** The server resets its compressor after each message. */
  readonly serverNoContextTakeover: boolean;
  /** The client resets its compressor after each message. */
  readonly clientNoContextTakeover: boolean;
  /** The server compresses with a window of at most 2^n bytes (15 when not negotiated). */
  readonly serverMaxWindowBits: number;
  /** The client compresses with a window of at most 2^n bytes (15 when not negotiated). */
  readonly clientMaxWindowBits: number;
}

/** Options after their checks, with defaults. */
export interface ResolvedDeflateOptions {
  readonly threshold: number;
  readonly level: number;
  readonly memLevel: number;
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number | undefined;
  readonly clientMaxWindowBits: number | undefined;
}

/**
 * Checks `perMessageDeflate` as a server or client takes it: `false`/`undefined` is off.
 * @returns the options with defaults, or `undefined` when compression is off.
 * @throws {TypeError}/{RangeError} for an option of the wrong kind or out of range.
 * @example
 * ```ts
 * resolveDeflateOptions(false); // undefined: compression off
 * resolveDeflateOptions({ threshold: 256 })?.threshold; // 256
 * ```
 */
export function resolveDeflateOptions(
  value: boolean | PerMessageDeflateOptions | undefined,
): ResolvedDeflateOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value !== true && (typeof value !== 'object' || value === null)) {
    throw new TypeError(
      `perMessageDeflate must be a boolean or an options object, got ${quoteInput(value)}`,
    );
  }
  const o: PerMessageDeflateOptions = value === true ? {} : value;
  const windowBits = (name: string, bits: number | undefined): number | undefined =>
    bits === undefined ? undefined : checkInteger(name, bits, MIN_WINDOW_BITS, MAX_WINDOW_BITS);
  const flag = (name: string, on: boolean | undefined): boolean => {
    if (on !== undefined && typeof on !== 'boolean') {
      throw new TypeError(`${name} must be a boolean, got ${quoteInput(on)}`);
    }
    return on ?? false;
  };
  return {
    threshold: checkInteger('threshold', o.threshold ?? DEFAULT_DEFLATE_THRESHOLD, 0),
    level: checkInteger('level', o.level ?? 6, 0, 9),
    memLevel: checkInteger('memLevel', o.memLevel ?? 8, 1, 9),
    serverNoContextTakeover: flag('serverNoContextTakeover', o.serverNoContextTakeover),
    clientNoContextTakeover: flag('clientNoContextTakeover', o.clientNoContextTakeover),
    serverMaxWindowBits: windowBits('serverMaxWindowBits', o.serverMaxWindowBits),
    clientMaxWindowBits: windowBits('clientMaxWindowBits', o.clientMaxWindowBits),
  };
}

/** The parameters of one permessage-deflate element, checked; or a string saying what is wrong. */
interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true` when present without a value (only an offer may do that). */
  clientMaxWindowBits: number | true | undefined;
}

/** A window size value: a decimal 8–15 with no sign, space or leading zero. */
function windowBitsValue(value: string | true): number | undefined {
  if (value === true || !/^(?:[89]|1[0-5])$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Reads one element's parameters (RFC 7692 §7.1): each known, none twice, each value valid.
 * @param inOffer - a client's offer (`client_max_window_bits` may then come without a value).
 */
function readParams(element: ExtensionOffer, inOffer: boolean): DeflateParams | string {
  const params: DeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const [rawName, value] of element.params) {
    const name = rawName.toLowerCase();
    if (seen.has(name)) return `the parameter ${name} appears twice`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) return `${name} takes no value, got ${quoteInput(value, 20)}`;
        if (name === 'server_no_context_takeover') params.serverNoContextTakeover = true;
        else params.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        const bits = windowBitsValue(value);
        if (bits === undefined) return `${name} must be 8 to 15, got ${quoteInput(value, 20)}`;
        params.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        if (value === true && inOffer) {
          params.clientMaxWindowBits = true;
          break;
        }
        const bits = windowBitsValue(value);
        if (bits === undefined) return `${name} must be 8 to 15, got ${quoteInput(value, 20)}`;
        params.clientMaxWindowBits = bits;
        break;
      }
      default:
        return `unknown parameter ${quoteInput(rawName, 40)}`;
    }
  }
  return params;
}

/**
 * The client's offer: the `Sec-WebSocket-Extensions` value asking for permessage-deflate with
 * the options' parameters. `client_max_window_bits` is always sent (with a value when
 * `clientMaxWindowBits` is set) to say the client can honour a limit.
 * @see RFC 7692 §5, §7.1
 * @example
 * ```ts
 * deflateOffer(resolveDeflateOptions(true)!); // 'permessage-deflate; client_max_window_bits'
 * ```
 */
export function deflateOffer(options: ResolvedDeflateOptions): string {
  let offer = PERMESSAGE_DEFLATE;
  if (options.serverNoContextTakeover) offer += '; server_no_context_takeover';
  if (options.clientNoContextTakeover) offer += '; client_no_context_takeover';
  if (options.serverMaxWindowBits !== undefined) {
    offer += `; server_max_window_bits=${options.serverMaxWindowBits}`;
  }
  offer +=
    options.clientMaxWindowBits === undefined
      ? '; client_max_window_bits'
      : `; client_max_window_bits=${options.clientMaxWindowBits}`;
  return offer;
}

/** A server's choice: what was agreed, and the `Sec-WebSocket-Extensions` answer saying so. */
export interface DeflateAcceptance {
  readonly agreement: DeflateAgreement;
  /** The answer's element, e.g. `permessage-deflate; server_max_window_bits=10`. */
  readonly response: string;
}

/**
 * The server's side of the negotiation: takes the first permessage-deflate offer it can accept
 * (RFC 7692 §5.1), declining offers with an unknown or repeated parameter, an invalid value, or
 * a configuration the options forbid (`clientMaxWindowBits` set below 15 when the offer has no
 * `client_max_window_bits`). Other extensions are ignored.
 * @returns the agreement and the answer, or `undefined` when no offer is acceptable (answer
 *   without the extension).
 * @see RFC 7692 §5.1, §7.1
 * @example
 * ```ts
 * acceptDeflateOffer([{ name: 'permessage-deflate', params: [] }], resolveDeflateOptions(true)!)
 *   ?.response; // 'permessage-deflate'
 * ```
 */
export function acceptDeflateOffer(
  offers: readonly ExtensionOffer[],
  options: ResolvedDeflateOptions,
): DeflateAcceptance | undefined {
  for (const offer of offers) {
    if (offer.name.toLowerCase() !== PERMESSAGE_DEFLATE) continue;
    const params = readParams(offer, true);
    if (typeof params === 'string') continue;
    let clientBits: number | undefined;
    if (params.clientMaxWindowBits === undefined) {
      // The client cannot be told to use a smaller window: decline unless none is wanted.
      if (options.clientMaxWindowBits !== undefined && options.clientMaxWindowBits < 15) continue;
    } else {
      const offered = params.clientMaxWindowBits === true ? 15 : params.clientMaxWindowBits;
      const wanted = Math.min(offered, options.clientMaxWindowBits ?? 15);
      // Answer a value whenever it is below 15 or the client gave one, so our inflater knows it.
      if (wanted < 15 || params.clientMaxWindowBits !== true) clientBits = wanted;
    }
    let serverBits: number | undefined;
    if (params.serverMaxWindowBits !== undefined || options.serverMaxWindowBits !== undefined) {
      serverBits = Math.min(params.serverMaxWindowBits ?? 15, options.serverMaxWindowBits ?? 15);
    }
    const serverNoContext = params.serverNoContextTakeover || options.serverNoContextTakeover;
    const clientNoContext = params.clientNoContextTakeover || options.clientNoContextTakeover;
    let response = PERMESSAGE_DEFLATE;
    if (serverNoContext) response += '; server_no_context_takeover';
    if (clientNoContext) response += '; client_no_context_takeover';
    if (serverBits !== undefined) response += `; server_max_window_bits=${serverBits}`;
    if (clientBits !== undefined) response += `; client_max_window_bits=${clientBits}`;
    return {
      response,
      agreement: {
        serverNoContextTakeover: serverNoContext,
        clientNoContextTakeover: clientNoContext,
        serverMaxWindowBits: serverBits ?? 15,
        clientMaxWindowBits: clientBits ?? 15,
      },
    };
  }
  return undefined;
}

/**
 * The client's check of the server's answer (RFC 7692 §7.1): the extensions the server accepted
 * (already checked to be ones offered). Fails, as the RFC requires, on permessage-deflate
 * accepted twice, an unknown or repeated parameter, an invalid value (`client_max_window_bits`
 * without one included), a window larger than the one offered, or an answer that drops
 * `server_no_context_takeover` or `server_max_window_bits` after we asked for it.
 * @returns the agreement, or `undefined` when the server did not accept the extension.
 * @throws {WebSocketError} `WEBSOCKET_ERR_HANDSHAKE`: the client must fail the connection.
 * @see RFC 7692 §7.1
 * @example
 * ```ts
 * const options = resolveDeflateOptions(true)!;
 * checkDeflateResponse([{ name: 'permessage-deflate', params: [['server_no_context_takeover', true]] }], options);
 * // { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }
 * ```
 */
export function checkDeflateResponse(
  accepted: readonly ExtensionOffer[],
  options: ResolvedDeflateOptions,
): DeflateAgreement | undefined {
  const fail = (what: string): never => {
    throw new WebSocketError(
      'WEBSOCKET_ERR_HANDSHAKE',
      `the server's handshake answer: Sec-WebSocket-Extensions permessage-deflate ${what} (RFC 7692 §7.1)`,
    );
  };
  const mine = accepted.filter((e) => e.name.toLowerCase() === PERMESSAGE_DEFLATE);
  if (mine.length === 0) return undefined;
  if (mine.length > 1) fail('is accepted more than once');
  const params = readParams(mine[0] as ExtensionOffer, false);
  if (typeof params === 'string') return fail(params);
  if (options.serverNoContextTakeover && !params.serverNoContextTakeover) {
    fail('leaves out server_no_context_takeover, which was asked for');
  }
  const serverBits = params.serverMaxWindowBits;
  if (
    serverBits !== undefined &&
    options.serverMaxWindowBits !== undefined &&
    serverBits > options.serverMaxWindowBits
  ) {
    fail(
      `has server_max_window_bits=${serverBits}, over the ${options.serverMaxWindowBits} offered`,
    );
  }
  if (options.serverMaxWindowBits !== undefined && serverBits === undefined) {
    fail('leaves out server_max_window_bits, which was offered');
  }
  const clientBits = params.clientMaxWindowBits as number | undefined;
  if (
    clientBits !== undefined &&
    options.clientMaxWindowBits !== undefined &&
    clientBits > options.clientMaxWindowBits
  ) {
    fail(
      `has client_max_window_bits=${clientBits}, over the ${options.clientMaxWindowBits} offered`,
    );
  }
  return {
    serverNoContextTakeover: params.serverNoContextTakeover,
    clientNoContextTakeover: params.clientNoContextTakeover || options.clientNoContextTakeover,
    serverMaxWindowBits: serverBits ?? 15,
    clientMaxWindowBits: clientBits ?? options.clientMaxWindowBits ?? 15,
  };
}
