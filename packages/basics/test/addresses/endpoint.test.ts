import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { closeServer, nextEvent, withTimeout } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  ENDPOINT_MAX_LENGTH,
  type Endpoint,
  formatEndpoint,
  parseEndpoint,
  unixPathLimit,
} from '../../src/addresses/endpoint.ts';
import { addressFromBytes } from '../../src/addresses/index.ts';
import { InvalidInputError } from '../../src/errors.ts';

const SEED = 0xe9d0; // fast-check seed: failures print it, runs are repeatable

function rejection(text: string, options?: Parameters<typeof parseEndpoint>[1]): InvalidInputError {
  try {
    parseEndpoint(text, options);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected, but it parsed`);
}

describe('parseEndpoint accepts', () => {
  it.each<[string, Endpoint]>([
    ['127.0.0.1:80', { kind: 'ip', family: 4, host: '127.0.0.1', port: 80 }],
    ['0.0.0.0:0', { kind: 'ip', family: 4, host: '0.0.0.0', port: 0 }],
    ['[::1]:80', { kind: 'ip', family: 6, host: '::1', port: 80 }],
    ['[::]:65535', { kind: 'ip', family: 6, host: '::', port: 65_535 }],
    ['[2001:DB8:0::1]:443', { kind: 'ip', family: 6, host: '2001:db8::1', port: 443 }],
    ['[::ffff:127.0.0.1]:8080', { kind: 'ip', family: 6, host: '::ffff:127.0.0.1', port: 8080 }],
    ['[fe80::1%eth0]:80', { kind: 'ip', family: 6, host: 'fe80::1%eth0', port: 80 }],
    ['localhost:8080', { kind: 'name', host: 'localhost', port: 8080 }],
    ['LocalHost:8080', { kind: 'name', host: 'localhost', port: 8080 }],
    ['example.com:443', { kind: 'name', host: 'example.com', port: 443 }],
    ['example.com.:443', { kind: 'name', host: 'example.com.', port: 443 }],
    ['a-b.c-d.example:1', { kind: 'name', host: 'a-b.c-d.example', port: 1 }],
    ['3com.example:7', { kind: 'name', host: '3com.example', port: 7 }],
    ['nonexistent.invalid:80', { kind: 'name', host: 'nonexistent.invalid', port: 80 }],
    [`${'a'.repeat(63)}.example:1`, { kind: 'name', host: `${'a'.repeat(63)}.example`, port: 1 }],
    ['unix:/tmp/x.sock', { kind: 'unix', path: '/tmp/x.sock' }],
    ['unix:x.sock', { kind: 'unix', path: 'x.sock' }],
    ['unix:/tmp/with space.sock', { kind: 'unix', path: '/tmp/with space.sock' }],
    ['/tmp/x.sock', { kind: 'unix', path: '/tmp/x.sock' }],
    ['./x.sock', { kind: 'unix', path: './x.sock' }],
    ['../run/x.sock', { kind: 'unix', path: '../run/x.sock' }],
    [`/${'p'.repeat(106)}`, { kind: 'unix', path: `/${'p'.repeat(106)}` }],
  ])('%s', (text, endpoint) => {
    expect(parseEndpoint(text)).toEqual(endpoint);
  });

  it.each<[string, Endpoint]>([
    ['localhost', { kind: 'name', host: 'localhost', port: 80 }],
    ['127.0.0.1', { kind: 'ip', family: 4, host: '127.0.0.1', port: 80 }],
    ['[::1]', { kind: 'ip', family: 6, host: '::1', port: 80 }],
    ['[::1]:443', { kind: 'ip', family: 6, host: '::1', port: 443 }],
  ])('%s with defaultPort 80', (text, endpoint) => {
    expect(parseEndpoint(text, { defaultPort: 80 })).toEqual(endpoint);
  });

  it('measures a unix path in bytes for the platform', () => {
    expect(unixPathLimit('linux')).toBe(108);
    expect(unixPathLimit('darwin')).toBe(104);
    const path105 = `/${'p'.repeat(104)}`;
    expect(parseEndpoint(path105, { platform: 'linux' })).toEqual({ kind: 'unix', path: path105 });
    expect(rejection(path105, { platform: 'darwin' }).message).toContain('sun_path (104 bytes)');
    const wide = `/${'é'.repeat(54)}`; // 55 characters, 109 bytes
    expect(rejection(wide, { platform: 'linux' }).message).toContain('109 bytes');
  });
});

describe('parseEndpoint rejects', () => {
  it.each([
    ['', 'BASICS_ERR_INVALID_ENDPOINT', 'empty'],
    ['::1:80', 'BASICS_ERR_INVALID_ENDPOINT', 'brackets'],
    ['::1', 'BASICS_ERR_INVALID_ENDPOINT', 'brackets'],
    ['fe80::1%eth0:80', 'BASICS_ERR_INVALID_ENDPOINT', 'brackets'],
    ['2001:db8::1:443', 'BASICS_ERR_INVALID_ENDPOINT', '[::1]:80'],
    ['[::1', 'BASICS_ERR_INVALID_ENDPOINT', "no ']' closes it"],
    ['[::1]80', 'BASICS_ERR_INVALID_ENDPOINT', "expected ':port' after ']'"],
    ['[::1]:', 'BASICS_ERR_INVALID_ENDPOINT', "nothing follows ':'"],
    ['[::1]', 'BASICS_ERR_INVALID_ENDPOINT', 'no port'],
    ['[]:80', 'BASICS_ERR_INVALID_ENDPOINT', 'host is empty'],
    ['[127.0.0.1]:80', 'BASICS_ERR_INVALID_ENDPOINT', 'only for IPv6'],
    ['[localhost]:80', 'BASICS_ERR_INVALID_ADDRESS', 'not a valid IP address'],
    ['[::1%eth0]:80', 'BASICS_ERR_INVALID_ADDRESS', 'link-local'],
    ['[[::1]]:80', 'BASICS_ERR_INVALID_ENDPOINT', "expected ':port' after ']'"],
    ['[[::1]:80', 'BASICS_ERR_INVALID_ADDRESS', 'not a valid IP address'],
    ['local]host:80', 'BASICS_ERR_INVALID_ENDPOINT', 'brackets may only surround'],
    [':80', 'BASICS_ERR_INVALID_ENDPOINT', 'host is empty'],
    ['localhost', 'BASICS_ERR_INVALID_ENDPOINT', 'no port'],
    ['localhost:', 'BASICS_ERR_INVALID_ENDPOINT', "nothing follows ':'"],
    ['localhost:65536', 'BASICS_ERR_INVALID_PORT', 'too large'],
    ['localhost:+1', 'BASICS_ERR_INVALID_PORT', 'decimal digits'],
    ['localhost:1e3', 'BASICS_ERR_INVALID_PORT', 'decimal digits'],
    ['localhost:0x50', 'BASICS_ERR_INVALID_PORT', 'decimal digits'],
    ['localhost:-1', 'BASICS_ERR_INVALID_PORT', 'decimal digits'],
    ['localhost:8.5', 'BASICS_ERR_INVALID_PORT', 'decimal digits'],
    ['localhost:http', 'BASICS_ERR_INVALID_PORT', 'decimal digits'],
    ['localhost: 80', 'BASICS_ERR_INVALID_ENDPOINT', 'whitespace'],
    [' localhost:80', 'BASICS_ERR_INVALID_ENDPOINT', 'whitespace'],
    ['localhost:80\n', 'BASICS_ERR_INVALID_ENDPOINT', 'whitespace'],
    ['localhost\0:80', 'BASICS_ERR_INVALID_ENDPOINT', 'NUL'],
    ['127.0.0.1\0:80', 'BASICS_ERR_INVALID_ENDPOINT', 'NUL'],
    ['127.1:80', 'BASICS_ERR_INVALID_ADDRESS', 'read as IPv4'],
    ['010.0.0.1:80', 'BASICS_ERR_INVALID_ADDRESS', 'leading zero'],
    ['256.0.0.1:80', 'BASICS_ERR_INVALID_ADDRESS', 'above 255'],
    ['0x7f.0.0.1:80', 'BASICS_ERR_INVALID_ADDRESS', 'read as IPv4'],
    ['example.123:80', 'BASICS_ERR_INVALID_ADDRESS', 'read as IPv4'],
    ['example.0x1f:80', 'BASICS_ERR_INVALID_ADDRESS', 'read as IPv4'],
    ['-bad.example:80', 'BASICS_ERR_INVALID_ENDPOINT', "starts or ends with '-'"],
    ['bad-.example:80', 'BASICS_ERR_INVALID_ENDPOINT', "starts or ends with '-'"],
    ['a..b:80', 'BASICS_ERR_INVALID_ENDPOINT', 'empty label'],
    ['.example:80', 'BASICS_ERR_INVALID_ENDPOINT', 'empty label'],
    ['.:80', 'BASICS_ERR_INVALID_ENDPOINT', 'empty label'],
    ['under_score.example:80', 'BASICS_ERR_INVALID_ENDPOINT', 'only letters, digits'],
    ['exa$mple.com:80', 'BASICS_ERR_INVALID_ENDPOINT', 'only letters, digits'],
    ['exämple.com:80', 'BASICS_ERR_INVALID_ENDPOINT', 'only letters, digits'],
    ['user@example.com:80', 'BASICS_ERR_INVALID_ENDPOINT', 'only letters, digits'],
    ['http://example.com:80', 'BASICS_ERR_INVALID_ENDPOINT', 'this is a URL'],
    ['tcp://127.0.0.1:80', 'BASICS_ERR_INVALID_ENDPOINT', 'this is a URL'],
    [`${'a'.repeat(64)}.example:80`, 'BASICS_ERR_INVALID_ENDPOINT', 'longer than 63'],
    [`${'abc.'.repeat(63)}ab:80`, 'BASICS_ERR_INVALID_ENDPOINT', 'longer than 253'],
    [
      'x'.repeat(ENDPOINT_MAX_LENGTH + 1),
      'BASICS_ERR_INVALID_ENDPOINT',
      'longer than any endpoint',
    ],
    ['unix:', 'BASICS_ERR_INVALID_ENDPOINT', 'socket path'],
    ['unix:/tmp/x\0.sock', 'BASICS_ERR_INVALID_ENDPOINT', 'NUL'],
    ['/tmp/x\0', 'BASICS_ERR_INVALID_ENDPOINT', 'NUL'],
    [`/${'p'.repeat(107)}`, 'BASICS_ERR_INVALID_ENDPOINT', 'at most 107'],
    [`unix:/${'p'.repeat(107)}`, 'BASICS_ERR_INVALID_ENDPOINT', 'sun_path'],
  ])('%j with %s (%s)', (text, code, fragment) => {
    const err = rejection(text, { platform: 'linux' });
    expect(err.code).toBe(code);
    expect(err.message).toContain(fragment);
    expect(err.message.length, 'the message stays readable').toBeLessThan(600);
    if (code !== 'BASICS_ERR_INVALID_ENDPOINT') {
      expect(err.cause, 'the address or port error is kept as the cause').toMatchObject({ code });
    }
  });

  it('rejects a huge input by its length, before any other check', () => {
    // Only the length check produces this message: nothing else looked at the 10 MB.
    const err = rejection(`${'a.'.repeat(5_000_000)}com:80`);
    expect(err.message).toContain('longer than any endpoint');
    expect(err.input.length).toBe(100);
  });

  it.each([
    [-1, RangeError],
    [65_536, RangeError],
    [1.5, TypeError],
    [Number.NaN, TypeError],
    ['80', TypeError],
  ])('throws for the defaultPort %j', (defaultPort, error) => {
    expect(() => parseEndpoint('localhost', { defaultPort: defaultPort as number })).toThrow(error);
  });

  it('throws a TypeError for a non-string', () => {
    expect(() => parseEndpoint(80 as unknown as string)).toThrow(TypeError);
    expect(() => formatEndpoint({ kind: 'tcp' } as unknown as Endpoint)).toThrow(TypeError);
  });

  it('never throws anything but InvalidInputError on any string', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom(...'[]:.%/0a-1fe\0 ') })),
        (text) => {
          try {
            parseEndpoint(text);
          } catch (err) {
            expect(err).toBeInstanceOf(InvalidInputError);
          }
        },
      ),
      { seed: SEED, numRuns: 3_000 },
    );
  });
});

// ---- round trips -----------------------------------------------------------------------------

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const port = fc.integer({ min: 0, max: 65_535 });
const endpoint: fc.Arbitrary<Endpoint> = fc.oneof(
  fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), port).map(([bytes, p]) => ({
    kind: 'ip' as const,
    family: 4 as const,
    host: addressFromBytes(bytes).text,
    port: p,
  })),
  fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), port).map(([bytes, p]) => ({
    kind: 'ip' as const,
    family: 6 as const,
    host: addressFromBytes(bytes).text,
    port: p,
  })),
  fc
    .tuple(
      fc.array(label, { minLength: 1, maxLength: 3 }),
      fc.stringMatching(/^[a-z]{2,10}$/),
      port,
    )
    .map(([labels, tld, p]) => ({
      kind: 'name' as const,
      host: [...labels, tld].join('.'),
      port: p,
    })),
  fc
    .tuple(fc.constantFrom('/', './', '../', ''), fc.stringMatching(/^[A-Za-z0-9._ -]{1,60}$/))
    .map(([prefix, rest]) => ({ kind: 'unix' as const, path: prefix + rest })),
);

describe('formatEndpoint', () => {
  it.each<[Endpoint, string]>([
    [{ kind: 'ip', family: 4, host: '127.0.0.1', port: 80 }, '127.0.0.1:80'],
    [{ kind: 'ip', family: 6, host: '::1', port: 80 }, '[::1]:80'],
    [{ kind: 'ip', family: 6, host: 'fe80::1%eth0', port: 80 }, '[fe80::1%eth0]:80'],
    [{ kind: 'name', host: 'localhost', port: 8080 }, 'localhost:8080'],
    [{ kind: 'unix', path: '/tmp/x.sock' }, '/tmp/x.sock'],
    [{ kind: 'unix', path: './x.sock' }, './x.sock'],
    [{ kind: 'unix', path: 'x.sock' }, 'unix:x.sock'],
  ])('writes %j as %s', (ep, text) => {
    expect(formatEndpoint(ep)).toBe(text);
  });

  it.each([
    ['127.0.0.1', 80, '127.0.0.1:80'],
    ['::1', 5000, '[::1]:5000'],
    ['fe80::1%eth0', 80, '[fe80::1%eth0]:80'],
    ['localhost', 8080, 'localhost:8080'],
  ])('writes a bare { host: %s, port: %s } as a socket reports it: %s', (host, port, text) => {
    expect(formatEndpoint({ host, port })).toBe(text);
  });

  it('round-trips: parseEndpoint(formatEndpoint(e)) equals e', () => {
    fc.assert(
      fc.property(endpoint, (ep) => {
        expect(parseEndpoint(formatEndpoint(ep))).toEqual(ep);
      }),
      { seed: SEED, numRuns: 3_000 },
    );
  });

  it('is canonical: formatEndpoint(parseEndpoint(t)) is a fixed point', () => {
    fc.assert(
      fc.property(endpoint, fc.boolean(), (ep, upper) => {
        const text = formatEndpoint(ep);
        const variant = ep.kind === 'unix' || !upper ? text : text.toUpperCase();
        const canonical = formatEndpoint(parseEndpoint(variant));
        expect(canonical).toBe(text);
        expect(formatEndpoint(parseEndpoint(canonical))).toBe(canonical);
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });
});

// ---- real sockets ----------------------------------------------------------------------------

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sl-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('unix socket endpoints on a real AF_UNIX socket', () => {
  it.runIf(process.platform !== 'win32')(
    'listens on a parsed path, connects and exchanges a line',
    async () => {
      const dir = await tempDir();
      const ep = parseEndpoint(`unix:${path.join(dir, 'echo.sock')}`);
      if (ep.kind !== 'unix') throw new Error(`expected a unix endpoint, got ${ep.kind}`);

      const accepted: net.Socket[] = [];
      const server = net.createServer((socket) => {
        accepted.push(socket);
        socket.once('data', (chunk) => socket.end(`echo: ${chunk.toString()}`));
      });
      onTestFinished(() => closeServer(server, accepted));
      server.listen(ep.path);
      await nextEvent(server, 'listening');
      expect(server.address(), 'a unix server reports its path').toBe(ep.path);
      expect(formatEndpoint(ep)).toBe(ep.path);

      const client = net.connect(ep.path);
      onTestFinished(() => {
        client.destroy();
      });
      await nextEvent(client, 'connect');
      client.write('hello over AF_UNIX\n');
      const chunks: Buffer[] = [];
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      await nextEvent(client, 'end');
      expect(Buffer.concat(chunks).toString()).toBe('echo: hello over AF_UNIX\n');
    },
  );

  it.runIf(process.platform === 'linux')(
    'rejects a too-long unix path before libuv or the kernel sees it',
    async () => {
      const dir = await tempDir();
      const tooLong = path.join(dir, `${'s'.repeat(120 - dir.length)}.sock`);
      expect(Buffer.byteLength(tooLong)).toBeGreaterThan(107);
      const err = rejection(`unix:${tooLong}`);
      expect(err.code).toBe('BASICS_ERR_INVALID_ENDPOINT');
      expect(err.message).toContain('sun_path');

      // Without the check: depending on the libuv version, listen() fails with ENAMETOOLONG or,
      // worse, silently binds a truncated path. Either way nothing answers at the path we asked for.
      const server = net.createServer();
      onTestFinished(() => closeServer(server));
      const outcome = await withTimeout(
        new Promise<string>((resolve) => {
          server.once('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
          server.once('listening', () => resolve('listening'));
          server.listen(tooLong);
        }),
        'listen() on a too-long unix path to settle',
      );
      if (outcome === 'listening') {
        expect(existsSync(tooLong), 'the socket is not at the path we asked for').toBe(false);
        expect((await readdir(dir)).length, 'it was created under a truncated name').toBe(1);
      } else {
        expect(outcome).toMatch(/^error /);
      }
    },
  );
});
