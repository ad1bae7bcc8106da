import { describe, expect, it } from 'vitest';
import { createRequestHeadReader, type HttpRequestHead } from '../../src/handshake/head-reader.ts';
import { buildRejectResponse, buildUpgradeResponse } from '../../src/handshake/responses.ts';
import {
  type UpgradeAccepted,
  type UpgradeRejected,
  validateUpgradeRequest,
} from '../../src/handshake/validate-request.ts';

const GOOD: Record<string, string> = {
  Host: 'server.example.com',
  Upgrade: 'websocket',
  Connection: 'Upgrade',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  Origin: 'http://example.com',
  'Sec-WebSocket-Protocol': 'chat, superchat',
  'Sec-WebSocket-Version': '13',
};

/** Builds a request head through the real reader: `null` drops a field, a string replaces it. */
function request(
  changes: Record<string, string | null> = {},
  line = 'GET /chat HTTP/1.1',
): HttpRequestHead {
  const fields = { ...GOOD, ...changes };
  const text = Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const result = createRequestHeadReader().push(Buffer.from(`${line}\r\n${text}\r\n`, 'latin1'));
  if (!result) throw new Error('the fixture is not a complete head');
  return result.head;
}

const accepted = (result: ReturnType<typeof validateUpgradeRequest>): UpgradeAccepted => {
  if (!result.ok) throw new Error(`expected acceptance, got ${result.status} ${result.message}`);
  return result;
};

describe('validateUpgradeRequest', () => {
  it('accepts the RFC 6455 §1.2 request and computes its accept value', () => {
    const result = accepted(validateUpgradeRequest(request()));
    expect(result).toMatchObject({
      key: 'dGhlIHNhbXBsZSBub25jZQ==',
      accept: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
      target: '/chat',
      host: 'server.example.com',
      origin: 'http://example.com',
      protocols: ['chat', 'superchat'],
      protocol: undefined,
      extensions: [],
    });
  });

  it.each([
    ['case-insensitive tokens', { Upgrade: 'WebSocket', Connection: 'keep-alive, UPGRADE' }],
    ['Upgrade in a list', { Upgrade: 'h2c, websocket' }],
    ['no Origin', { Origin: null }],
    ['HTTP/1.2', {}, 'GET /chat HTTP/1.2'],
    ['an absolute target', {}, 'GET ws://server.example.com/chat HTTP/1.1'],
    ['Content-Length 0', { 'Content-Length': '0' }],
    ['a host with a port', { Host: '[::1]:8080' }],
  ])('accepts %s', (_name, changes, line?: string) => {
    expect(validateUpgradeRequest(request(changes, line)).ok).toBe(true);
  });

  it.each<[string, Record<string, string | null>, string | undefined, number, string, RegExp]>([
    [
      'POST',
      {},
      'POST /chat HTTP/1.1',
      405,
      'method-not-get',
      /method "POST": a WebSocket upgrade must be GET/,
    ],
    ['lowercase get', {}, 'get /chat HTTP/1.1', 405, 'method-not-get', /must be GET/],
    ['HTTP/1.0', {}, 'GET /chat HTTP/1.0', 400, 'http-version', /HTTP\/1.0: .*HTTP\/1.1 or later/],
    [
      'an asterisk target',
      {},
      'GET * HTTP/1.1',
      400,
      'request-target',
      /expected a path starting with '\/'/,
    ],
    ['no Host', { Host: null }, undefined, 400, 'host-missing', /no Host header/],
    ['an empty Host', { Host: '' }, undefined, 400, 'host-missing', /Host "" is not a host/],
    ['a Host with a path', { Host: 'a/b' }, undefined, 400, 'host-missing', /not a host\[:port\]/],
    ['a body length', { 'Content-Length': '5' }, undefined, 400, 'body-not-allowed', /has a body/],
    [
      'Transfer-Encoding',
      { 'Transfer-Encoding': 'chunked' },
      undefined,
      400,
      'body-not-allowed',
      /has a body/,
    ],
    [
      'no Upgrade',
      { Upgrade: null },
      undefined,
      426,
      'upgrade-missing',
      /Upgrade "\(absent\)": expected the token websocket/,
    ],
    ['Upgrade: h2c', { Upgrade: 'h2c' }, undefined, 426, 'upgrade-missing', /Upgrade "h2c"/],
    [
      'Upgrade: websocket/13',
      { Upgrade: 'websocket/13' },
      undefined,
      426,
      'upgrade-missing',
      /expected the token websocket/,
    ],
    [
      'no Connection',
      { Connection: null },
      undefined,
      400,
      'connection-missing',
      /expected a list holding the token upgrade/,
    ],
    [
      'Connection: keep-alive',
      { Connection: 'keep-alive' },
      undefined,
      400,
      'connection-missing',
      /Connection "keep-alive"/,
    ],
    [
      'Connection: upgraded',
      { Connection: 'upgraded' },
      undefined,
      400,
      'connection-missing',
      /token upgrade/,
    ],
    [
      'no key',
      { 'Sec-WebSocket-Key': null },
      undefined,
      400,
      'key-invalid',
      /"\(absent\)": expected the base64 of 16 random bytes/,
    ],
    [
      'a short key',
      { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZQ==' },
      undefined,
      400,
      'key-invalid',
      /"dGhlIHNhbXBsZQ=="/,
    ],
    [
      'a key that is not base64',
      { 'Sec-WebSocket-Key': 'not a key at all, sorry!' },
      undefined,
      400,
      'key-invalid',
      /base64 of 16/,
    ],
    [
      'no version',
      { 'Sec-WebSocket-Version': null },
      undefined,
      426,
      'version-unsupported',
      /"\(absent\)": this server speaks version 13/,
    ],
    [
      'version 8',
      { 'Sec-WebSocket-Version': '8' },
      undefined,
      426,
      'version-unsupported',
      /Sec-WebSocket-Version "8"/,
    ],
    [
      'a bad protocol token',
      { 'Sec-WebSocket-Protocol': 'chat, a b' },
      undefined,
      400,
      'protocols-invalid',
      /element "a b" is not a token/,
    ],
    [
      'malformed extensions',
      { 'Sec-WebSocket-Extensions': 'permessage-deflate; =1' },
      undefined,
      400,
      'extensions-invalid',
      /expected a parameter name/,
    ],
  ])('rejects %s', (_name, changes, line, status, reason, message) => {
    const result = validateUpgradeRequest(request(changes, line)) as UpgradeRejected;
    expect(result.ok).toBe(false);
    expect({ status: result.status, reason: result.reason }).toEqual({ status, reason });
    expect(result.message).toMatch(message);
  });

  it('checks in RFC order: the method before everything, the version before the origin', () => {
    const everythingWrong = request(
      { Host: null, Upgrade: null, 'Sec-WebSocket-Version': '8' },
      'PUT / HTTP/1.0',
    );
    expect((validateUpgradeRequest(everythingWrong) as UpgradeRejected).reason).toBe(
      'method-not-get',
    );
    const lateFaults = request({ 'Sec-WebSocket-Version': '8', Origin: 'http://evil' });
    const result = validateUpgradeRequest(lateFaults, { checkOrigin: () => false });
    expect((result as UpgradeRejected).reason).toBe('version-unsupported');
  });

  it.each([
    ['405', 'PUT / HTTP/1.1', {}, { Allow: 'GET' }],
    ['426 for Upgrade', 'GET / HTTP/1.1', { Upgrade: null }, { Upgrade: 'websocket' }],
    [
      '426 for the version',
      'GET / HTTP/1.1',
      { 'Sec-WebSocket-Version': '7' },
      { 'Sec-WebSocket-Version': '13' },
    ],
    ['400', 'GET / HTTP/1.1', { Host: null }, {}],
  ])('names the headers a %s answer needs', (_name, line, changes, headers) => {
    expect((validateUpgradeRequest(request(changes, line)) as UpgradeRejected).headers).toEqual(
      headers,
    );
  });

  it('asks checkOrigin and answers 403 when it says no', () => {
    const seen: (string | undefined)[] = [];
    const only = (origin: string | undefined): boolean => {
      seen.push(origin);
      return origin === 'https://good.example';
    };
    const refused = validateUpgradeRequest(request(), { checkOrigin: only }) as UpgradeRejected;
    expect(refused).toMatchObject({ ok: false, status: 403, reason: 'origin-forbidden' });
    expect(refused.message).toMatch(/Origin "http:\/\/example.com" may not connect/);
    expect(
      validateUpgradeRequest(request({ Origin: 'https://good.example' }), { checkOrigin: only }).ok,
    ).toBe(true);
    expect(validateUpgradeRequest(request({ Origin: null }), { checkOrigin: only }).ok).toBe(false);
    expect(seen).toEqual(['http://example.com', 'https://good.example', undefined]);
  });

  describe('subprotocols', () => {
    it.each<[string, string | null, readonly string[], string | undefined]>([
      ['picks by server preference', 'chat, superchat', ['superchat', 'chat'], 'superchat'],
      ['picks the only common one', 'a, b, c', ['x', 'c'], 'c'],
      ['matches case-sensitively', 'Chat', ['chat'], undefined],
      ['chooses none without a common one', 'a', ['b'], undefined],
      ['chooses none when none is offered', null, ['chat'], undefined],
      ['skips empty list elements', ' , chat,,', ['chat'], 'chat'],
    ])('%s', (_name, offered, preference, chosen) => {
      const result = accepted(
        validateUpgradeRequest(request({ 'Sec-WebSocket-Protocol': offered }), {
          protocols: preference,
        }),
      );
      expect(result.protocol).toBe(chosen);
    });

    it('joins repeated Sec-WebSocket-Protocol lines into one offer list', () => {
      const head = createRequestHeadReader().push(
        Buffer.from(
          'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: b\r\n\r\n',
        ),
      )?.head as HttpRequestHead;
      expect(accepted(validateUpgradeRequest(head, { protocols: ['b'] })).protocols).toEqual([
        'a',
        'b',
      ]);
    });

    it('lets a callback choose among the offers, in the client order', () => {
      const result = accepted(
        validateUpgradeRequest(request(), {
          protocols: (offered) => {
            expect(offered).toEqual(['chat', 'superchat']);
            return offered[1];
          },
        }),
      );
      expect(result.protocol).toBe('superchat');
    });

    it('refuses a callback that answers with a protocol the client did not offer', () => {
      expect(() => validateUpgradeRequest(request(), { protocols: () => 'mqtt' })).toThrow(
        /chose "mqtt", which the client did not offer \(it offered chat, superchat\)/,
      );
    });

    it('does not call the callback when nothing is offered', () => {
      let calls = 0;
      const result = validateUpgradeRequest(request({ 'Sec-WebSocket-Protocol': null }), {
        protocols: () => {
          calls++;
          return 'x';
        },
      });
      expect(accepted(result).protocol).toBeUndefined();
      expect(calls).toBe(0);
    });
  });

  it('parses offered extensions with parameters and quoted values', () => {
    const result = accepted(
      validateUpgradeRequest(
        request({
          'Sec-WebSocket-Extensions':
            'permessage-deflate; client_max_window_bits, x-foo; a="1,2;3"',
        }),
      ),
    );
    expect(result.extensions).toEqual([
      { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
      { name: 'x-foo', params: [['a', '1,2;3']] },
    ]);
  });
});

describe('buildUpgradeResponse', () => {
  it('writes the RFC 6455 §1.3 answer byte for byte', () => {
    expect(buildUpgradeResponse({ key: 'dGhlIHNhbXBsZSBub25jZQ==' }).toString('latin1')).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
    );
  });

  it('adds the chosen protocol, extensions and extra headers from an accepted request', () => {
    const result = accepted(validateUpgradeRequest(request(), { protocols: ['chat'] }));
    const text = buildUpgradeResponse({
      ...result,
      extensionsHeader: 'x-foo',
      headers: [
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ],
    }).toString('latin1');
    expect(text).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n' +
        'Sec-WebSocket-Extensions: x-foo\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n',
    );
  });

  it.each<[string, Parameters<typeof buildUpgradeResponse>[0], RegExp]>([
    [
      'CRLF in a value',
      { key: 'dGhlIHNhbXBsZSBub25jZQ==', headers: { 'X-A': 'a\r\nX-Injected: 1' } },
      /without CR, LF/,
    ],
    [
      'a bare LF in a value',
      { key: 'dGhlIHNhbXBsZSBub25jZQ==', headers: { 'X-A': 'a\nb' } },
      /without CR, LF/,
    ],
    [
      'a NUL in a value',
      { key: 'dGhlIHNhbXBsZSBub25jZQ==', headers: { 'X-A': 'a\x00' } },
      /control characters/,
    ],
    [
      'CRLF in a name',
      { key: 'dGhlIHNhbXBsZSBub25jZQ==', headers: { 'X-A\r\nX-B': '1' } },
      /not an HTTP token/,
    ],
    [
      'a colon in a name',
      { key: 'dGhlIHNhbXBsZSBub25jZQ==', headers: [['X-A: 1\r\n', '1']] },
      /not an HTTP token/,
    ],
    [
      'a reserved header',
      { key: 'dGhlIHNhbXBsZSBub25jZQ==', headers: { 'sec-websocket-accept': 'x' } },
      /written by the handshake itself/,
    ],
    [
      'CRLF in the protocol',
      { key: 'dGhlIHNhbXBsZSBub25jZQ==', protocol: 'chat\r\nX: 1' },
      /protocol .* is not a token/,
    ],
    [
      'CRLF in the extensions',
      { key: 'dGhlIHNhbXBsZSBub25jZQ==', extensionsHeader: 'a\r\n\r\nbody' },
      /control character/,
    ],
    ['a forged key', { key: 'x\r\nX: 1' }, /is not a Sec-WebSocket-Key/],
  ])('refuses %s', (_name, options, message) => {
    expect(() => buildUpgradeResponse(options)).toThrow(TypeError);
    expect(() => buildUpgradeResponse(options)).toThrow(message);
  });
});

describe('buildRejectResponse', () => {
  it('writes the status, the given headers, a UTF-8 body with its length, and Connection: close', () => {
    const body = 'version 13 only — sorry';
    expect(buildRejectResponse(426, body, { 'Sec-WebSocket-Version': '13' }).toString('utf8')).toBe(
      'HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n' +
        `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
    expect(Buffer.byteLength(body)).toBe(body.length + 2);
  });

  it('answers a rejection as validateUpgradeRequest returned it', () => {
    const r = validateUpgradeRequest(request({}, 'PUT / HTTP/1.1')) as UpgradeRejected;
    const text = buildRejectResponse(r.status, r.message, r.headers).toString();
    expect(text.startsWith('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n')).toBe(true);
    expect(text.endsWith(`\r\n\r\n${r.message}`)).toBe(true);
  });

  it.each([
    ['PUT', {}, 'PUT / HTTP/1.1', 405],
    ['no Upgrade', { Upgrade: null }, undefined, 426],
    ['Upgrade: h2c', { Upgrade: 'h2c' }, undefined, 426],
    ['no Connection', { Connection: null }, undefined, 400],
    ['a short key', { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZQ==' }, undefined, 400],
    ['version 8', { 'Sec-WebSocket-Version': '8' }, undefined, 426],
  ] as const)(
    'answers every rejection (%s) with the headers it returned, and Connection: close',
    (_name, changes, line, status) => {
      const r = validateUpgradeRequest(request(changes, line)) as UpgradeRejected;
      expect(r.status).toBe(status);
      const text = buildRejectResponse(r.status, r.message, r.headers).toString();
      for (const [name, value] of Object.entries(r.headers)) {
        expect(text).toContain(`\r\n${name}: ${value}\r\n`);
      }
      expect(text).toContain('\r\nConnection: close\r\n');
    },
  );

  it.each([
    [200, RangeError],
    [600, RangeError],
    [400.5, TypeError],
  ])('refuses status %s', (status, kind) => {
    expect(() => buildRejectResponse(status, '')).toThrow(kind);
  });

  it.each([
    [{ 'X-A': 'a\r\n\r\n<script>' }, /without CR, LF/],
    [{ 'Content-Length': '0' }, /written by the handshake itself/],
    [{ connection: 'keep-alive' }, /written by the handshake itself/],
  ])('refuses the headers %j', (headers, message) => {
    expect(() => buildRejectResponse(400, 'no', headers)).toThrow(message);
  });
});
