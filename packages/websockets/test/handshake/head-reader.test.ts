import { describePieces, everySplit, thrownBy } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { WebSocketError } from '../../src/errors.ts';
import {
  createRequestHeadReader,
  createResponseHeadReader,
  DEFAULT_MAX_HEAD_BYTES,
  DEFAULT_MAX_HEADERS,
} from '../../src/handshake/head-reader.ts';
import { readPieces } from './read-head.ts';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

const RFC_REQUEST =
  'GET /chat HTTP/1.1\r\n' +
  'Host: server.example.com\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Origin: http://example.com\r\n' +
  'Sec-WebSocket-Protocol: chat, superchat\r\n' +
  'Sec-WebSocket-Version: 13\r\n\r\n';

describe('createRequestHeadReader', () => {
  it.each([
    { name: 'the RFC 6455 §1.2 request', after: '' },
    { name: 'the RFC request followed by frame bytes', after: '\x81\x85\x37\xfa\x21\x3d' },
  ])('reads $name in one chunk, at every split and byte by byte', ({ after }) => {
    const wire = bytes(RFC_REQUEST + after);
    for (const pieces of everySplit(wire)) {
      const got = readPieces(createRequestHeadReader(), pieces);
      if ('error' in got) throw new Error(`${describePieces(pieces)}\n${String(got.error)}`);
      expect(got.head.method).toBe('GET');
      expect(got.head.target).toBe('/chat');
      expect(got.head.version).toEqual({ major: 1, minor: 1 });
      expect(got.head.headers.get('sec-websocket-key')).toBe('dGhlIHNhbXBsZSBub25jZQ==');
      expect(got.head.headers.get('sec-websocket-protocol')).toBe('chat, superchat');
      expect(got.head.headers.size).toBe(7);
      expect(got.rest.toString('latin1'), `rest after ${pieces.length} pieces`).toBe(after);
    }
  });

  it('reports the head size and returns the trailing bytes as a view', () => {
    const wire = bytes(`${RFC_REQUEST}XY`);
    const result = createRequestHeadReader().push(wire);
    expect(result?.headBytes).toBe(RFC_REQUEST.length);
    expect(result?.rest.buffer).toBe(wire.buffer);
    expect(result?.rest.toString()).toBe('XY');
  });

  it('matches names case-insensitively, joins repeated fields with ", " and keeps raw lines', () => {
    const wire = bytes(
      'GET / HTTP/1.1\r\nHOST: a\r\nX-Thing: 1\r\nx-thing:2 \r\nSEC-WEBSOCKET-PROTOCOL:  a\t\r\nSec-WebSocket-Protocol: b\r\n\r\n',
    );
    const head = createRequestHeadReader().push(wire)?.head;
    expect(head?.headers.get('host')).toBe('a');
    expect(head?.headers.get('x-thing')).toBe('1, 2');
    expect(head?.headers.get('sec-websocket-protocol')).toBe('a, b');
    expect(head?.rawHeaders).toEqual([
      ['HOST', 'a'],
      ['X-Thing', '1'],
      ['x-thing', '2'],
      ['SEC-WEBSOCKET-PROTOCOL', 'a'],
      ['Sec-WebSocket-Protocol', 'b'],
    ]);
  });

  it('keeps an empty field value', () => {
    const head = createRequestHeadReader().push(bytes('GET / HTTP/1.1\r\nX-Empty:\r\n\r\n'))?.head;
    expect(head?.headers.get('x-empty')).toBe('');
  });

  it.each([
    ['a bare LF ending a line', 'GET / HTTP/1.1\nHost: a\r\n\r\n', /bare LF at byte 14/],
    ['a bare LF ending the head', 'GET / HTTP/1.1\r\nHost: a\r\n\n', /bare LF at byte 25/],
    ['a bare CR', 'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n', /CR not followed by LF at byte 23/],
    ['an obs-fold line', 'GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n', /folded header line/],
    ['a tab-folded line', 'GET / HTTP/1.1\r\nX-A: 1\r\n\t2\r\n\r\n', /folded header line/],
    [
      'space before the colon',
      'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
      /whitespace between header name "Host" and ':'/,
    ],
    ['a line without a colon', 'GET / HTTP/1.1\r\nHost a\r\n\r\n', /has no ':'/],
    [
      'an empty header name',
      'GET / HTTP/1.1\r\n: a\r\n\r\n',
      /header name "" is not an HTTP token/,
    ],
    ['a name with a delimiter', 'GET / HTTP/1.1\r\nX(y): a\r\n\r\n', /header name "X\(y\)"/],
    ['a NUL in a value', 'GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n', /holds a control character/],
    ['an empty first line', '\r\nGET / HTTP/1.1\r\n\r\n', /starts with an empty line/],
    ['two spaces in the request line', 'GET  / HTTP/1.1\r\n\r\n', /not "METHOD target HTTP\/x.y"/],
    ['a request line without a version', 'GET /\r\n\r\n', /not "METHOD target HTTP\/x.y"/],
    ['a lowercase version', 'GET / http/1.1\r\n\r\n', /HTTP version "http\/1.1"/],
    ['a two-digit version', 'GET / HTTP/1.10\r\n\r\n', /HTTP version "HTTP\/1.10"/],
    ['a method with a delimiter', 'G(T / HTTP/1.1\r\n\r\n', /method "G\(T" is not an HTTP token/],
    ['a target with a high byte', 'GET /\xe9 HTTP/1.1\r\n\r\n', /request target "\/é"/],
    [
      'a repeated Host',
      'GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n',
      /header host appears more than once/,
    ],
    [
      'a repeated Sec-WebSocket-Key',
      'GET / HTTP/1.1\r\nSec-WebSocket-Key: a\r\nSec-WebSocket-Key: a\r\n\r\n',
      /appears more than once/,
    ],
    [
      'a repeated Sec-WebSocket-Version',
      'GET / HTTP/1.1\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 8\r\n\r\n',
      /appears more than once/,
    ],
    [
      'a repeated Origin',
      'GET / HTTP/1.1\r\nOrigin: a\r\nOrigin: b\r\n\r\n',
      /appears more than once/,
    ],
  ])('rejects %s, at every split and byte by byte', (_name, text, message) => {
    for (const pieces of everySplit(bytes(text))) {
      const got = readPieces(createRequestHeadReader(), pieces);
      expect('error' in got, describePieces(pieces)).toBe(true);
      const error = (got as { error: WebSocketError }).error;
      expect(error).toBeInstanceOf(WebSocketError);
      expect(error.code).toBe('WEBSOCKET_ERR_HANDSHAKE');
      expect(error.message).toMatch(message);
    }
  });

  it('throws the same error again after a failure', () => {
    const reader = createRequestHeadReader();
    const first = thrownBy(() => reader.push(bytes('GET /\n')));
    expect(thrownBy(() => reader.push(bytes('x')))).toBe(first);
    expect(thrownBy(() => reader.end())).toBe(first);
  });

  it('refuses push() after the head was complete', () => {
    const reader = createRequestHeadReader();
    reader.push(bytes('GET / HTTP/1.1\r\n\r\n'));
    expect(thrownBy(() => reader.push(bytes('x'))).message).toMatch(/after the head was complete/);
    expect(() => reader.end()).not.toThrow();
  });

  it('says how much arrived when the stream ends early', () => {
    const reader = createRequestHeadReader();
    expect(reader.push(bytes('GET / HTTP/1.1\r\n'))).toBeUndefined();
    expect(reader.bufferedBytes).toBe(16);
    expect(thrownBy(() => reader.end()).message).toMatch(/ended after 16 bytes/);
    expect(thrownBy(() => createRequestHeadReader().end()).message).toMatch(/before any byte/);
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_MAX_HEAD_BYTES).toBe(8192);
    expect(DEFAULT_MAX_HEADERS).toBe(100);
  });

  describe('limits', () => {
    const headOf = (size: number): Buffer => {
      // 'GET / HTTP/1.1\r\nX: ' (19) + filler + '\r\n\r\n' (4)
      return bytes(`GET / HTTP/1.1\r\nX: ${'a'.repeat(size - 23)}\r\n\r\n`);
    };

    it('accepts a head of exactly maxHeadBytes and refuses one byte more', () => {
      expect(createRequestHeadReader().push(headOf(8192))?.headBytes).toBe(8192);
      const error = thrownBy(() => createRequestHeadReader().push(headOf(8193)));
      expect(error.code).toBe('WEBSOCKET_ERR_HANDSHAKE');
      expect(error.message).toMatch(/longer than maxHeadBytes \(8192\)/);
      expect(createRequestHeadReader({ maxHeadBytes: 100 }).push(headOf(100))?.headBytes).toBe(100);
      expect(() => createRequestHeadReader({ maxHeadBytes: 100 }).push(headOf(101))).toThrow(
        /maxHeadBytes \(100\)/,
      );
    });

    it('refuses an endless head as soon as it passes the limit, without waiting for its end', () => {
      const reader = createRequestHeadReader({ maxHeadBytes: 64 });
      expect(reader.push(bytes(`GET / HTTP/1.1\r\nX: ${'a'.repeat(45)}`))).toBeUndefined();
      expect(() => reader.push(bytes('a'))).toThrow(/longer than maxHeadBytes \(64\)/);
    });

    it('does not count the bytes after the head', () => {
      const head = headOf(64);
      const result = createRequestHeadReader({ maxHeadBytes: 64 }).push(
        Buffer.concat([head, Buffer.alloc(1000)]),
      );
      expect(result?.rest.length).toBe(1000);
    });

    const withHeaders = (count: number): Buffer =>
      bytes(
        `GET / HTTP/1.1\r\n${Array.from({ length: count }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`,
      );

    it('accepts maxHeaders fields and refuses one more', () => {
      expect(createRequestHeadReader().push(withHeaders(100))?.head.headers.size).toBe(100);
      expect(() => createRequestHeadReader().push(withHeaders(101))).toThrow(
        /more than maxHeaders \(100\) header fields/,
      );
      expect(createRequestHeadReader({ maxHeaders: 0 }).push(withHeaders(0))).toBeDefined();
      expect(() => createRequestHeadReader({ maxHeaders: 2 }).push(withHeaders(3))).toThrow(
        /maxHeaders \(2\)/,
      );
    });

    it('refuses too many fields before the head ends', () => {
      const reader = createRequestHeadReader({ maxHeaders: 1 });
      expect(() => reader.push(bytes('GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n'))).toThrow(/maxHeaders/);
    });

    it.each([
      [{ maxHeadBytes: 15 }, RangeError],
      [{ maxHeadBytes: 1.5 }, TypeError],
      [{ maxHeaders: -1 }, RangeError],
      [{ maxHeaders: Number.NaN }, TypeError],
    ])('rejects the bad option %j synchronously', (options, kind) => {
      expect(() => createRequestHeadReader(options)).toThrow(kind);
      expect(() => createResponseHeadReader(options)).toThrow(kind);
    });
  });
});

describe('createResponseHeadReader', () => {
  const RFC_RESPONSE =
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n' +
    'Sec-WebSocket-Protocol: chat\r\n\r\n';

  it('reads the RFC 6455 §1.2 response and the frame after it, at every split and byte by byte', () => {
    const wire = bytes(`${RFC_RESPONSE}\x81\x05hello`);
    for (const pieces of everySplit(wire)) {
      const got = readPieces(createResponseHeadReader(), pieces);
      if ('error' in got) throw new Error(`${describePieces(pieces)}\n${String(got.error)}`);
      expect(got.head.status).toBe(101);
      expect(got.head.statusText).toBe('Switching Protocols');
      expect(got.head.headers.get('sec-websocket-accept')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
      expect(got.rest.toString('latin1')).toBe('\x81\x05hello');
    }
  });

  it('accepts a status line without a reason phrase', () => {
    const head = createResponseHeadReader().push(bytes('HTTP/1.1 400\r\n\r\n'))?.head;
    expect(head?.status).toBe(400);
    expect(head?.statusText).toBe('');
  });

  it.each([
    ['a two-digit status', 'HTTP/1.1 10 X\r\n\r\n', /status line "HTTP\/1.1 10 X"/],
    ['no version', '101 Switching Protocols\r\n\r\n', /status line/],
    ['a control byte in the reason', 'HTTP/1.1 101 A\x01\r\n\r\n', /reason phrase/],
    [
      'a repeated Sec-WebSocket-Accept',
      'HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: a\r\nSec-WebSocket-Accept: a\r\n\r\n',
      /appears more than once/,
    ],
    ['a bare LF', 'HTTP/1.1 101 OK\n\n', /bare LF/],
  ])('rejects %s', (_name, text, message) => {
    for (const pieces of everySplit(bytes(text))) {
      const got = readPieces(createResponseHeadReader(), pieces);
      expect('error' in got && (got.error as Error).message, describePieces(pieces)).toMatch(
        message,
      );
    }
  });

  it('lets Sec-WebSocket-Version repeat in a response', () => {
    const head = createResponseHeadReader().push(
      bytes(
        'HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 8\r\n\r\n',
      ),
    )?.head;
    expect(head?.headers.get('sec-websocket-version')).toBe('13, 8');
  });
});
