import { describe, expect, it } from 'vitest';
import {
  acceptDeflateOffer,
  checkDeflateResponse,
  DEFAULT_DEFLATE_THRESHOLD,
  deflateOffer,
  type PerMessageDeflateOptions,
  resolveDeflateOptions,
} from '../../src/extensions/index.ts';
import { parseExtensions } from '../../src/handshake/index.ts';

/** The options resolved, as a server or client holds them. */
function resolved(options: PerMessageDeflateOptions | true = true) {
  const out = resolveDeflateOptions(options);
  if (out === undefined) throw new Error('expected options');
  return out;
}

/** A Sec-WebSocket-Extensions value parsed. */
function offers(value: string) {
  const out = parseExtensions(value);
  if (typeof out === 'string') throw new Error(out);
  return out;
}

describe('resolveDeflateOptions', () => {
  it('is off for false and undefined, and fills defaults for true', () => {
    expect(resolveDeflateOptions(undefined)).toBeUndefined();
    expect(resolveDeflateOptions(false)).toBeUndefined();
    expect(resolveDeflateOptions(true)).toEqual({
      threshold: DEFAULT_DEFLATE_THRESHOLD,
      level: 6,
      memLevel: 8,
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: undefined,
      clientMaxWindowBits: undefined,
    });
  });

  it.each([
    [{ serverMaxWindowBits: 7 }, RangeError],
    [{ clientMaxWindowBits: 16 }, RangeError],
    [{ clientMaxWindowBits: 9.5 }, TypeError],
    [{ level: 10 }, RangeError],
    [{ memLevel: 0 }, RangeError],
    [{ threshold: -1 }, RangeError],
    [{ serverNoContextTakeover: 'yes' }, TypeError],
    ['on', TypeError],
  ] as const)('throws for %j', (options, kind) => {
    expect(() => resolveDeflateOptions(options as unknown as PerMessageDeflateOptions)).toThrow(
      kind,
    );
  });
});

describe('deflateOffer (the client)', () => {
  it.each([
    [{}, 'permessage-deflate; client_max_window_bits'],
    [
      {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 12,
      },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
    ],
  ])('offers %j as %s', (options, header) => {
    expect(deflateOffer(resolved(options))).toBe(header);
    expect(typeof parseExtensions(header)).not.toBe('string');
  });
});

describe('acceptDeflateOffer (the server)', () => {
  it.each([
    ['permessage-deflate', {}, 'permessage-deflate', [false, false, 15, 15]],
    [
      'permessage-deflate; client_max_window_bits',
      {},
      'permessage-deflate',
      [false, false, 15, 15],
    ],
    [
      'permessage-deflate; client_max_window_bits=10',
      {},
      'permessage-deflate; client_max_window_bits=10',
      [false, false, 15, 10],
    ],
    [
      'permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 11 },
      'permessage-deflate; client_max_window_bits=11',
      [false, false, 15, 11],
    ],
    [
      'permessage-deflate; server_max_window_bits=12',
      { serverMaxWindowBits: 10 },
      'permessage-deflate; server_max_window_bits=10',
      [false, false, 10, 15],
    ],
    [
      'permessage-deflate; server_max_window_bits="9"',
      {},
      'permessage-deflate; server_max_window_bits=9',
      [false, false, 9, 15],
    ],
    [
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      {},
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      [true, true, 15, 15],
    ],
    [
      'permessage-deflate',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 8 },
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8',
      [true, true, 8, 15],
    ],
    // The first acceptable offer wins: the bad one and other extensions are skipped.
    [
      'x-foo, permessage-deflate; bogus, permessage-deflate; server_max_window_bits=11, permessage-deflate',
      {},
      'permessage-deflate; server_max_window_bits=11',
      [false, false, 11, 15],
    ],
    // A client that does not offer client_max_window_bits cannot be limited: that offer is skipped.
    [
      'permessage-deflate, permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 9 },
      'permessage-deflate; client_max_window_bits=9',
      [false, false, 15, 9],
    ],
  ] as const)('accepts %s with %j as %s', (offer, options, response, agreement) => {
    const accepted = acceptDeflateOffer(offers(offer), resolved(options));
    expect(accepted?.response).toBe(response);
    const a = accepted?.agreement;
    expect([
      a?.serverNoContextTakeover,
      a?.clientNoContextTakeover,
      a?.serverMaxWindowBits,
      a?.clientMaxWindowBits,
    ]).toEqual(agreement);
  });

  it.each([
    ['x-webkit-deflate-frame', {}],
    ['permessage-deflate; unknown_param', {}],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', {}],
    ['permessage-deflate; client_max_window_bits=10; client_max_window_bits=11', {}],
    ['permessage-deflate; server_max_window_bits', {}],
    ['permessage-deflate; server_max_window_bits=7', {}],
    ['permessage-deflate; server_max_window_bits=16', {}],
    ['permessage-deflate; server_max_window_bits=010', {}],
    ['permessage-deflate; server_max_window_bits=+9', {}],
    ['permessage-deflate; client_max_window_bits=8.5', {}],
    ['permessage-deflate; server_no_context_takeover=1', {}],
    ['permessage-deflate', { clientMaxWindowBits: 10 }],
  ] as const)('declines %s (with %j)', (offer, options) => {
    expect(acceptDeflateOffer(offers(offer), resolved(options))).toBeUndefined();
  });
});

describe('checkDeflateResponse (the client)', () => {
  it.each([
    ['', {}, undefined],
    ['x-other', {}, undefined],
    ['permessage-deflate', {}, [false, false, 15, 15]],
    ['permessage-deflate; server_no_context_takeover', {}, [true, false, 15, 15]],
    ['permessage-deflate; client_no_context_takeover', {}, [false, true, 15, 15]],
    ['permessage-deflate', { clientNoContextTakeover: true }, [false, true, 15, 15]],
    ['permessage-deflate; client_max_window_bits=9', {}, [false, false, 15, 9]],
    ['permessage-deflate', { clientMaxWindowBits: 10 }, [false, false, 15, 10]],
    [
      'permessage-deflate; server_max_window_bits=9',
      { serverMaxWindowBits: 10 },
      [false, false, 9, 15],
    ],
  ] as const)('takes %j (offered %j)', (answer, options, agreement) => {
    const a = checkDeflateResponse(offers(answer), resolved(options));
    expect(
      a === undefined
        ? undefined
        : [
            a.serverNoContextTakeover,
            a.clientNoContextTakeover,
            a.serverMaxWindowBits,
            a.clientMaxWindowBits,
          ],
    ).toEqual(agreement);
  });

  it.each([
    ['permessage-deflate, permessage-deflate', {}],
    ['permessage-deflate; foo', {}],
    ['permessage-deflate; client_max_window_bits', {}],
    ['permessage-deflate; client_max_window_bits=16', {}],
    ['permessage-deflate; server_max_window_bits=7', {}],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', {}],
    ['permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 }],
    ['permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }],
    ['permessage-deflate', { serverMaxWindowBits: 10 }],
    ['permessage-deflate', { serverNoContextTakeover: true }],
  ] as const)('fails the handshake on %j (offered %j)', (answer, options) => {
    expect(() => checkDeflateResponse(offers(answer), resolved(options))).toThrow(
      expect.objectContaining({ code: 'WEBSOCKET_ERR_HANDSHAKE' }),
    );
  });
});
