import { describePieces, everySplit, thrownBy } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { isValidWebSocketKey } from '../../src/handshake/accept-key.ts';
import {
  type ClientHandshakeOptions,
  createClientHandshake,
  validateUpgradeResponse,
} from '../../src/handshake/client.ts';
import {
  createRequestHeadReader,
  createResponseHeadReader,
  type HttpResponseHead,
} from '../../src/handshake/head-reader.ts';
import { buildUpgradeResponse } from '../../src/handshake/responses.ts';
import { validateUpgradeRequest } from '../../src/handshake/validate-request.ts';
import { readPieces } from './read-head.ts';

/** Always the RFC's sample nonce, so the key is dGhlIHNhbXBsZSBub25jZQ==. */
const sampleNonce = (size: number): Uint8Array => Buffer.from('the sample nonce').subarray(0, size);
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

describe('createClientHandshake', () => {
  it('writes the RFC 6455 §1.2 request byte for byte', () => {
    const handshake = createClientHandshake({
      host: 'server.example.com',
      path: '/chat',
      protocols: ['chat', 'superchat'],
      origin: 'http://example.com',
      randomBytes: sampleNonce,
    });
    expect(handshake.key).toBe(KEY);
    expect(handshake.protocols).toEqual(['chat', 'superchat']);
    expect(handshake.request.toString('latin1')).toBe(
      'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
        'Sec-WebSocket-Protocol: chat, superchat\r\nOrigin: http://example.com\r\n\r\n',
    );
  });

  it.each<[string, Partial<ClientHandshakeOptions>, string]>([
    ['the default port left out', { host: 'a.example', port: 80 }, 'Host: a.example\r\n'],
    ['another port', { host: 'a.example', port: 8080 }, 'Host: a.example:8080\r\n'],
    ['443 left out for wss', { host: 'a.example', port: 443, secure: true }, 'Host: a.example\r\n'],
    ['80 shown for wss', { host: 'a.example', port: 80, secure: true }, 'Host: a.example:80\r\n'],
    ['an IPv6 address in brackets', { host: '::1', port: 9000 }, 'Host: [::1]:9000\r\n'],
    ['an IPv6 address already bracketed', { host: '[::1]' }, 'Host: [::1]\r\n'],
    ['the default path', { host: 'a' }, 'GET / HTTP/1.1\r\n'],
    [
      'extra headers',
      { host: 'a', headers: { Authorization: 'Bearer x' } },
      'Authorization: Bearer x\r\n\r\n',
    ],
  ])('writes %s', (_name, options, expected) => {
    const request = createClientHandshake({
      host: 'a',
      ...options,
      randomBytes: sampleNonce,
    }).request;
    expect(request.toString('latin1')).toContain(expected);
  });

  it('leaves out Sec-WebSocket-Protocol and Origin when not given', () => {
    const text = createClientHandshake({ host: 'a', randomBytes: sampleNonce }).request.toString();
    expect(text).not.toMatch(/Sec-WebSocket-Protocol|Origin/);
  });

  it('draws a fresh random 16-byte key from crypto by default', () => {
    const keys = new Set(
      Array.from({ length: 20 }, () => createClientHandshake({ host: 'a' }).key),
    );
    expect(keys.size).toBe(20);
    for (const key of keys) expect(isValidWebSocketKey(key)).toBe(true);
  });

  it('asks the injected source for exactly 16 bytes', () => {
    const sizes: number[] = [];
    const randomBytes = (n: number): Uint8Array => {
      sizes.push(n);
      return new Uint8Array(n);
    };
    createClientHandshake({ host: 'a', randomBytes });
    expect(sizes).toEqual([16]);
  });

  it.each<[string, Partial<ClientHandshakeOptions>, ErrorConstructor, RegExp]>([
    ['CRLF in the host', { host: 'a\r\nX: 1' }, TypeError, /host "a\\r\\nX: 1"/],
    ['an empty host', { host: '' }, TypeError, /host ""/],
    ['a host with a slash', { host: 'a/b' }, TypeError, /not a host name/],
    ['port 0', { port: 0 }, RangeError, /port must be an integer from 1 to 65535/],
    ['a relative path', { path: 'chat' }, TypeError, /must start with '\/'/],
    ['a space in the path', { path: '/a b' }, TypeError, /only visible ASCII/],
    ['CRLF in the path', { path: '/\r\nX: 1' }, TypeError, /path/],
    ['a protocol with a space', { protocols: ['a b'] }, TypeError, /protocol "a b" is not a token/],
    ['a protocol with CRLF', { protocols: ['a\r\n'] }, TypeError, /is not a token/],
    ['a repeated protocol', { protocols: ['a', 'a'] }, TypeError, /offered twice/],
    ['CRLF in the origin', { origin: 'http://a\r\nX: 1' }, TypeError, /origin/],
    ['CRLF in a header value', { headers: { 'X-A': '1\r\nX-B: 2' } }, TypeError, /without CR, LF/],
    ['CRLF in a header name', { headers: [['X-A\r\nX-B', '1']] }, TypeError, /not an HTTP token/],
    [
      'a reserved header',
      { headers: { 'Sec-WebSocket-Key': KEY } },
      TypeError,
      /written by the handshake itself/,
    ],
  ])('refuses %s', (_name, options, kind, message) => {
    const error = thrownBy(() => createClientHandshake({ host: 'a', ...options }));
    expect(error).toBeInstanceOf(kind);
    expect(error.message).toMatch(message);
  });
});

function response(lines: string[], status = 'HTTP/1.1 101 Switching Protocols'): HttpResponseHead {
  const text = `${status}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;
  const result = createResponseHeadReader().push(Buffer.from(text, 'latin1'));
  if (!result) throw new Error('the fixture is not a complete head');
  return result.head;
}

const GOOD = ['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${ACCEPT}`];
const without = (name: string): string[] => GOOD.filter((l) => !l.startsWith(name));

describe('validateUpgradeResponse', () => {
  const expected = { key: KEY, protocols: ['chat', 'superchat'], extensions: [] };

  it.each([
    ['the RFC answer', GOOD, undefined],
    ['a chosen protocol', [...GOOD, 'Sec-WebSocket-Protocol: superchat'], 'superchat'],
    [
      'case-insensitive tokens',
      ['upgrade: WebSocket', 'connection: keep-alive, upgrade', `sec-websocket-accept: ${ACCEPT}`],
      undefined,
    ],
  ])('accepts %s', (_name, lines, protocol) => {
    expect(validateUpgradeResponse(response(lines), expected)).toEqual({
      protocol,
      extensions: [],
    });
  });

  it.each<[string, string[], string | undefined, RegExp]>([
    [
      'a 400',
      GOOD,
      'HTTP/1.1 400 Bad Request',
      /status 400 "Bad Request"; expected 101 Switching Protocols/,
    ],
    ['a 200', GOOD, 'HTTP/1.1 200 OK', /status 200/],
    ['a redirect', GOOD, 'HTTP/1.1 302 Found', /status 302 "Found"/],
    ['no Upgrade', without('Upgrade'), undefined, /Upgrade "\(absent\)"; expected websocket/],
    ['Upgrade: h2c', [...without('Upgrade'), 'Upgrade: h2c'], undefined, /Upgrade "h2c"/],
    [
      'Upgrade as a list',
      [...without('Upgrade'), 'Upgrade: websocket, h2c'],
      undefined,
      /expected websocket/,
    ],
    [
      'no Connection',
      without('Connection'),
      undefined,
      /Connection "\(absent\)"; expected a list holding upgrade/,
    ],
    [
      'Connection: close',
      [...without('Connection'), 'Connection: close'],
      undefined,
      /Connection "close"/,
    ],
    [
      'no accept',
      without('Sec-WebSocket-Accept'),
      undefined,
      /Sec-WebSocket-Accept "\(absent\)"; expected s3pPLMBiTxaQ9kYGzzhZRbK\+xOo= for key/,
    ],
    [
      'a wrong accept',
      [...without('Sec-WebSocket-Accept'), 'Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
      undefined,
      /"AAAAAAAAAAAAAAAAAAAAAAAAAAA="; expected s3pP/,
    ],
    [
      'the key echoed as accept',
      [...without('Sec-WebSocket-Accept'), `Sec-WebSocket-Accept: ${KEY}`],
      undefined,
      /expected s3pP/,
    ],
    [
      'a protocol not offered',
      [...GOOD, 'Sec-WebSocket-Protocol: mqtt'],
      undefined,
      /"mqtt" was not offered; expected one of chat, superchat/,
    ],
    [
      'a protocol differing in case',
      [...GOOD, 'Sec-WebSocket-Protocol: Chat'],
      undefined,
      /"Chat" was not offered/,
    ],
    [
      'two protocols',
      [...GOOD, 'Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Protocol: superchat'],
      undefined,
      /"chat, superchat" was not offered/,
    ],
    [
      'an extension none offered',
      [...GOOD, 'Sec-WebSocket-Extensions: permessage-deflate'],
      undefined,
      /accepts "permessage-deflate", which was not offered; expected no extension/,
    ],
    [
      'malformed extensions',
      [...GOOD, 'Sec-WebSocket-Extensions: ;'],
      undefined,
      /Sec-WebSocket-Extensions is malformed/,
    ],
  ])('fails %s', (_name, lines, status, message) => {
    const error = thrownBy(() => validateUpgradeResponse(response(lines, status), expected));
    expect(error.code).toBe('WEBSOCKET_ERR_HANDSHAKE');
    expect(error.message).toMatch(message);
  });

  it('fails any protocol when none was offered', () => {
    const error = thrownBy(() =>
      validateUpgradeResponse(response([...GOOD, 'Sec-WebSocket-Protocol: chat']), { key: KEY }),
    );
    expect(error.message).toMatch(/expected no Sec-WebSocket-Protocol/);
  });

  it('accepts an extension that was offered', () => {
    const result = validateUpgradeResponse(
      response([...GOOD, 'Sec-WebSocket-Extensions: x-a; b=1']),
      {
        key: KEY,
        extensions: ['x-a'],
      },
    );
    expect(result.extensions).toEqual([{ name: 'x-a', params: [['b', '1']] }]);
  });
});

describe('a whole handshake, both sides', () => {
  it('agrees on a protocol and hands over the first frame, at every split of each head', () => {
    const client = createClientHandshake({
      host: '127.0.0.1',
      port: 9001,
      path: '/room?id=7',
      protocols: ['v2', 'v1'],
      randomBytes: (n) => Buffer.alloc(n, 7),
    });
    const frame = Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x69, 0x6b]);
    let answer: Buffer | undefined;
    for (const pieces of everySplit(Buffer.concat([client.request, frame]))) {
      const got = readPieces(createRequestHeadReader(), pieces);
      if ('error' in got) throw new Error(`${describePieces(pieces)}\n${String(got.error)}`);
      expect(got.rest).toEqual(frame);
      const accepted = validateUpgradeRequest(got.head, { protocols: ['v1', 'v2'] });
      if (!accepted.ok) throw new Error(accepted.message);
      expect(accepted.host).toBe('127.0.0.1:9001');
      answer = buildUpgradeResponse(accepted);
    }
    for (const pieces of everySplit(Buffer.concat([answer as Buffer, frame]))) {
      const got = readPieces(createResponseHeadReader(), pieces);
      if ('error' in got) throw new Error(`${describePieces(pieces)}\n${String(got.error)}`);
      expect(got.rest).toEqual(frame);
      expect(validateUpgradeResponse(got.head, client).protocol).toBe('v1');
    }
  });
});
