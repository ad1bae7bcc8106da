import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { anyText, assertThrowsOnly, withTimeout } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  checkHostname,
  compareResolution,
  DNS_CODE_REASONS,
  DnsError,
  type DnsFailureReason,
  dnsFailureReason,
  lookupHost,
  resolveHost,
  toDnsError,
} from '../../src/dns/index.ts';
import { BasicsError } from '../../src/errors.ts';
import {
  addressBytes,
  decodeQuery,
  encodeQuery,
  encodeResponse,
  type FakeZoneEntry,
  RCODE,
  startFakeDnsServer,
} from '../helpers/fake-dns-server.ts';

/** A clock that returns the given readings in turn (then the last one forever). */
function clockFrom(...readings: number[]): () => number {
  let next = 0;
  return () => readings[Math.min(next++, readings.length - 1)] ?? 0;
}

async function fakeServer(zone: Record<string, FakeZoneEntry>) {
  const server = await startFakeDnsServer(zone);
  onTestFinished(() => server.close());
  return server;
}

async function rejection(promise: Promise<unknown>, what: string): Promise<DnsError> {
  const err = await withTimeout(
    promise.then(
      () => undefined,
      (e: unknown) => e,
    ),
    what,
  );
  expect(err, `${what} should reject with a DnsError`).toBeInstanceOf(DnsError);
  return err as DnsError;
}

const LOOPBACKS = ['127.0.0.1', '::1'];

describe('checkHostname', () => {
  it.each([
    ['localhost', 'localhost'],
    ['example.com', 'example.com'],
    ['example.com.', 'example.com.'],
    ['EXAMPLE.Com', 'EXAMPLE.Com'],
    ['_dmarc.example.com', '_dmarc.example.com'],
    ['a-b.c-d', 'a-b.c-d'],
    ['1.example', '1.example'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
    [`${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`],
    [`${'a.'.repeat(126)}a`, `${'a.'.repeat(126)}a`],
  ])('accepts %j', (name, ascii) => {
    expect(checkHostname(name)).toEqual({ ok: true, ascii });
  });

  it.each([
    ['', 'empty'],
    ['a..b', 'label 2 is empty'],
    ['.a', 'label 1 is empty'],
    ['.', 'only a dot'],
    ['..', 'label 1 is empty'],
    ['a\u0000b', 'control character (U+0000) at character 2'],
    ['a\nb', 'control character (U+000A)'],
    ['a b', 'whitespace at character 2'],
    ['a\u00a0b', 'whitespace'],
    ['a'.repeat(254), 'at most 253'],
    [`${'a.'.repeat(127)}a`, 'at most 253'],
    ['a'.repeat(100_000), '100000 characters long'],
    [`${'a'.repeat(64)}.example`, 'label 1 is 64 characters long'],
    ['http://example.com', 'contains ":"'],
    ['example.com:80', 'contains ":"'],
    ['exa*mple.com', 'contains "*"'],
    ['-example.com', "starts or ends with '-'"],
    ['example-.com', "starts or ends with '-'"],
    ['\u00ad', 'not a valid internationalized'],
  ])('rejects %j', (name, problem) => {
    const result = checkHostname(name);
    expect(result.ok, `${JSON.stringify(name.slice(0, 40))} should be rejected`).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });

  it('never throws and always answers, whatever the input', () => {
    fc.assert(
      fc.property(anyText(600), (name) => {
        const result = checkHostname(name);
        expect(typeof result.ok).toBe('boolean');
      }),
      { seed: 20_240_501, numRuns: 2_000 },
    );
  });

  it('accepts every name built from valid labels within the limits', () => {
    const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 8 }), (labels) => {
        expect(checkHostname(labels.join('.')).ok).toBe(true);
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('rejects every name with a NUL in it', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), fc.string({ maxLength: 50 }), (before, after) => {
        expect(checkHostname(`${before}\u0000${after}`).ok).toBe(false);
      }),
      { seed: 11, numRuns: 500 },
    );
  });
});

describe('dnsFailureReason', () => {
  it.each(Object.entries(DNS_CODE_REASONS))('maps %s to %s', (code, reason) => {
    expect(dnsFailureReason(code)).toBe(reason);
  });

  it.each([['EWHATEVER'], [undefined], [42], ['toString'], ['__proto__']])(
    'maps %j to failed',
    (code) => {
      expect(dnsFailureReason(code)).toBe('failed');
    },
  );
});

describe('toDnsError', () => {
  const systemError = (code: string, syscall: string) =>
    Object.assign(new Error(`${syscall} ${code} x.invalid`), {
      code,
      syscall,
      hostname: 'x.invalid',
    });

  it('explains ENOTFOUND from getaddrinfo in words, with a command to try', () => {
    const cause = systemError('ENOTFOUND', 'getaddrinfo');
    const err = toDnsError(cause, { hostname: 'x.invalid', method: 'lookup' });
    expect(err).toBeInstanceOf(BasicsError);
    expect(err).toMatchObject({
      code: 'BASICS_ERR_DNS',
      reason: 'not-found',
      hostname: 'x.invalid',
      method: 'lookup',
      cause,
    });
    expect(err.message).toBe(
      "could not resolve 'x.invalid': no such name (ENOTFOUND from getaddrinfo). Check the spelling, or try `getent hosts x.invalid`",
    );
  });

  it.each<[string, DnsFailureReason, string]>([
    ['ENODATA', 'no-data', 'has no AAAA record'],
    ['ESERVFAIL', 'server-failure', 'failed to answer'],
    ['EREFUSED', 'refused', 'refused the query'],
    ['ECONNREFUSED', 'refused', "nothing listens at the DNS server's address"],
    ['ETIMEOUT', 'timeout', 'did not answer in time'],
    ['EBADRESP', 'bad-response', 'could not be understood'],
    ['EBADNAME', 'invalid-name', 'rejected the name'],
    ['ENOMEM', 'failed', 'resolution failed'],
  ])('explains %s from a DNS query as %s', (code, reason, words) => {
    const err = toDnsError(systemError(code, 'queryAaaa'), {
      hostname: 'x.invalid',
      method: 'resolve',
      rrtype: 'AAAA',
      servers: ['127.0.0.1:5353'],
    });
    expect(err.reason).toBe(reason);
    expect(err.message).toContain(words);
    expect(err.message).toContain(`(${code} from a DNS AAAA query to 127.0.0.1:5353)`);
    if (reason !== 'invalid-name')
      expect(err.message).toContain('`dig @127.0.0.1 -p 5353 x.invalid AAAA`');
  });

  it('explains EAI_AGAIN as a temporary failure worth retrying', () => {
    const err = toDnsError(systemError('EAI_AGAIN', 'getaddrinfo'), {
      hostname: 'x.invalid',
      method: 'lookup',
    });
    expect(err.reason).toBe('temporary-failure');
    expect(err.message).toContain('retry with backoff');
  });

  it('quotes a hostile name and keeps the command free of it', () => {
    const hostile = `evil\u0000; rm -rf /${'x'.repeat(500)}`;
    const err = toDnsError(new Error('boom'), { hostname: hostile, method: 'lookup' });
    expect(err.reason).toBe('failed');
    expect(err.message).toContain('"evil\\u0000; rm -rf /');
    expect(err.message).toContain('`getent hosts <name>`');
    expect(err.message.length).toBeLessThan(400);
    expect(err.hostname.length).toBe(300);
  });
});

describe('lookupHost (getaddrinfo)', () => {
  it('finds localhost through /etc/hosts and times it with the given clock', async () => {
    const result = await withTimeout(
      lookupHost('localhost', { clock: clockFrom(1_000, 1_042) }),
      'lookup of localhost',
    );
    expect(result.method).toBe('lookup');
    expect(result.name).toBe('localhost');
    expect(result.elapsedMs).toBe(42);
    expect(result.addresses.length).toBeGreaterThan(0);
    for (const { address, family } of result.addresses) {
      expect(LOOPBACKS, `localhost resolved to ${address}`).toContain(address);
      expect(family).toBe(address.includes(':') ? 6 : 4);
      expect(result.addresses[0]).not.toHaveProperty('ttl');
    }
  });

  it('returns only the first address when all is false', async () => {
    const result = await withTimeout(
      lookupHost('localhost', { all: false }),
      'lookup of localhost',
    );
    expect(result.addresses).toHaveLength(1);
  });

  it('returns an IP literal as it is', async () => {
    const result = await withTimeout(lookupHost('127.0.0.1'), 'lookup of 127.0.0.1');
    expect(result.addresses).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('fails fast with not-found for nonexistent.invalid', async () => {
    const err = await rejection(
      lookupHost('nonexistent.invalid', { timeoutMs: 4_000 }),
      'lookup of nonexistent.invalid',
    );
    expect(err).toMatchObject({
      code: 'BASICS_ERR_DNS',
      reason: 'not-found',
      method: 'lookup',
      hostname: 'nonexistent.invalid',
    });
    expect((err.cause as { code?: string }).code).toBe('ENOTFOUND');
    expect(err.message).toContain(
      "could not resolve 'nonexistent.invalid': no such name (ENOTFOUND from getaddrinfo)",
    );
    expect(err.message).toContain('`getent hosts nonexistent.invalid`');
  });

  it('times out a lookup stuck behind a busy thread pool', async () => {
    // getaddrinfo runs on libuv's thread pool; fill every thread with slow crypto work first.
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4) || 4;
    const work = Array.from({ length: threads }, (_, i) =>
      promisify(pbkdf2)(`p${i}`, 'salt', 200_000, 32, 'sha512'),
    );
    onTestFinished(() =>
      withTimeout(Promise.all(work), 'the crypto work to finish', 15_000).then(() => {}),
    );
    const err = await rejection(
      lookupHost('localhost', { timeoutMs: 20 }),
      'lookup behind a busy pool',
    );
    expect(err.reason).toBe('timeout');
    expect(err.cause).toBeUndefined();
    expect(err.message).toContain('no answer within 20 ms from getaddrinfo');
    expect(err.message).toContain('UV_THREADPOOL_SIZE');
  });

  it.each(['a..b', 'a\u0000b', 'x'.repeat(300), ''])(
    'rejects the invalid name %j before asking anyone',
    async (name) => {
      const err = await rejection(lookupHost(name), 'lookup of an invalid name');
      expect(err).toMatchObject({
        code: 'BASICS_ERR_DNS',
        reason: 'invalid-name',
        method: 'lookup',
      });
      expect(err.message).toContain('is not a valid host name');
    },
  );

  it.each<[string, () => unknown, ErrorConstructor]>([
    ['a non-string name', () => lookupHost(42 as unknown as string), TypeError],
    ['family 5', () => lookupHost('localhost', { family: 5 as 4 }), RangeError],
    ['timeoutMs 0', () => lookupHost('localhost', { timeoutMs: 0 }), RangeError],
    ['timeoutMs NaN', () => lookupHost('localhost', { timeoutMs: Number.NaN }), TypeError],
    [
      'timeoutMs Infinity',
      () => lookupHost('localhost', { timeoutMs: Number.POSITIVE_INFINITY }),
      RangeError,
    ],
    [
      'a non-function clock',
      () => lookupHost('localhost', { clock: 5 as unknown as () => number }),
      TypeError,
    ],
    [
      'a non-boolean all',
      () => lookupHost('localhost', { all: 'yes' as unknown as boolean }),
      TypeError,
    ],
  ])('throws synchronously for %s', (_, call, type) => {
    expect(call).toThrow(type);
  });
});

describe('resolveHost (a DNS query, against a fake server on 127.0.0.1)', () => {
  const zone: Record<string, FakeZoneEntry> = {
    'example.test': { A: ['10.0.0.1', '10.0.0.2'], AAAA: ['fd00::1'], ttl: 42 },
    'only4.test': { A: ['10.1.1.1'] },
    'fail.test': 'SERVFAIL',
    'refuse.test': 'REFUSED',
    'silent.test': 'silent',
  };

  it('returns A records with their TTLs, timed with the given clock', async () => {
    const server = await fakeServer(zone);
    const result = await withTimeout(
      resolveHost('example.test', { servers: [server.address], clock: clockFrom(5, 12) }),
      'A query',
    );
    expect(result).toEqual({
      name: 'example.test',
      method: 'resolve',
      addresses: [
        { address: '10.0.0.1', family: 4, ttl: 42 },
        { address: '10.0.0.2', family: 4, ttl: 42 },
      ],
      elapsedMs: 7,
    });
    expect(server.queries).toEqual([{ name: 'example.test', type: 1, class: 1 }]);
  });

  it('returns AAAA records', async () => {
    const server = await fakeServer(zone);
    const result = await withTimeout(
      resolveHost('Example.Test.', { rrtype: 'AAAA', servers: [server.address] }),
      'AAAA query',
    );
    expect(result.addresses).toEqual([{ address: 'fd00::1', family: 6, ttl: 42 }]);
    expect(server.queries[0]?.type).toBe(28);
  });

  it.each<[string, 'A' | 'AAAA', DnsFailureReason, string]>([
    ['nothing.test', 'A', 'not-found', 'ENOTFOUND'],
    ['only4.test', 'AAAA', 'no-data', 'ENODATA'],
    ['fail.test', 'A', 'server-failure', 'ESERVFAIL'],
    ['refuse.test', 'A', 'refused', 'EREFUSED'],
  ])('reports %s %s as %s (%s)', async (name, rrtype, reason, code) => {
    const server = await fakeServer(zone);
    const err = await rejection(
      resolveHost(name, { rrtype, servers: [server.address] }),
      `${rrtype} query for ${name}`,
    );
    expect(err).toMatchObject({
      code: 'BASICS_ERR_DNS',
      reason,
      method: 'resolve',
      hostname: name,
    });
    expect((err.cause as { code?: string }).code).toBe(code);
    expect(err.message).toContain(`(${code} from a DNS ${rrtype} query to ${server.address})`);
    expect(err.message).toContain(`dig @127.0.0.1 -p ${server.port} ${name} ${rrtype}`);
  });

  it('gives up on a server that never answers, cancelling the query', async () => {
    const server = await fakeServer(zone);
    const started = performance.now();
    const err = await rejection(
      resolveHost('silent.test', { servers: [server.address], timeoutMs: 300 }),
      'a query nobody answers',
    );
    expect(err.reason).toBe('timeout');
    expect(err.message).toContain(
      `no answer within 300 ms from a DNS A query to ${server.address}`,
    );
    expect(performance.now() - started, 'the timeout should fire near 300 ms').toBeLessThan(3_000);
    expect(server.queries.length, 'the query reached the server').toBeGreaterThanOrEqual(1);
    expect(server.queries.length, 'c-ares retransmits at most once').toBeLessThanOrEqual(2);
  });

  it('reports refused when nothing listens at the server address', async () => {
    const server = await startFakeDnsServer({});
    const address = server.address;
    await server.close();
    const err = await rejection(
      resolveHost('example.test', { servers: [address], timeoutMs: 2_000 }),
      'a query to a closed port',
    );
    expect(err.reason).toBe('refused');
    expect((err.cause as { code?: string }).code).toBe('ECONNREFUSED');
    expect(err.message).toContain("nothing listens at the DNS server's address");
  });

  it('does not find localhost: a DNS query never reads /etc/hosts', async () => {
    const server = await fakeServer(zone);
    const err = await rejection(
      resolveHost('localhost', { servers: [server.address] }),
      'A query for localhost',
    );
    expect(err.reason).toBe('not-found');
    expect(server.queries.map((q) => q.name)).toEqual(['localhost']);
  });

  it.each(['a..b', 'a\u0000b', `${'x'.repeat(64)}.test`])(
    'rejects the invalid name %j without sending a query',
    async (name) => {
      const server = await fakeServer(zone);
      const err = await rejection(
        resolveHost(name, { servers: [server.address] }),
        'query for an invalid name',
      );
      expect(err).toMatchObject({ reason: 'invalid-name', method: 'resolve' });
      expect(server.queries).toEqual([]);
    },
  );

  it.each<[string, () => unknown, ErrorConstructor]>([
    ['rrtype MX', () => resolveHost('a.test', { rrtype: 'MX' as 'A' }), RangeError],
    ['timeoutMs -1', () => resolveHost('a.test', { timeoutMs: -1 }), RangeError],
    ['an empty server list', () => resolveHost('a.test', { servers: [] }), TypeError],
    [
      'a server that is not an address',
      () => resolveHost('a.test', { servers: ['not an address'] }),
      TypeError,
    ],
    ['a non-string name', () => resolveHost(undefined as unknown as string), TypeError],
  ])('throws synchronously for %s', (_, call, type) => {
    expect(call).toThrow(type);
  });
});

describe('compareResolution', () => {
  it('shows localhost found by lookup (from /etc/hosts) but not by DNS', async () => {
    const server = await fakeServer({});
    const comparison = await withTimeout(
      compareResolution('localhost', { servers: [server.address] }),
      'comparison',
    );
    expect(comparison.lookup.ok).toBe(true);
    expect(comparison.resolve.A).toMatchObject({ ok: false, error: { reason: 'not-found' } });
    expect(comparison.resolve.AAAA).toMatchObject({ ok: false, error: { reason: 'not-found' } });
    expect(comparison.onlyLookup.length).toBeGreaterThan(0);
    for (const address of comparison.onlyLookup) expect(LOOPBACKS).toContain(address);
    expect(comparison.onlyResolve).toEqual([]);
    expect(comparison.both).toEqual([]);
    expect(comparison.summary).toContain('but DNS did not (not-found)');
    expect(comparison.summary).toContain('/etc/hosts');
  });

  it('shows a name only DNS knows', async () => {
    const server = await fakeServer({ 'only-dns.invalid': { A: ['10.9.9.9'], AAAA: ['fd00::9'] } });
    const comparison = await withTimeout(
      compareResolution('only-dns.invalid', { servers: [server.address], timeoutMs: 4_000 }),
      'comparison',
    );
    expect(comparison.lookup).toMatchObject({ ok: false, error: { reason: 'not-found' } });
    expect(comparison.onlyResolve).toEqual(['10.9.9.9', 'fd00::9']);
    expect(comparison.summary).toContain(
      'DNS returned 10.9.9.9, fd00::9, but lookup did not (not-found)',
    );
  });

  it('says when neither way finds a name', async () => {
    const server = await fakeServer({});
    const comparison = await withTimeout(
      compareResolution('nonexistent.invalid', { servers: [server.address], timeoutMs: 4_000 }),
      'comparison',
    );
    expect(comparison.summary).toBe(
      'neither found an address (lookup: not-found; DNS: not-found).',
    );
  });

  it('explains that an IP literal needs no lookup', async () => {
    const server = await fakeServer({});
    const comparison = await withTimeout(
      compareResolution('127.0.0.1', { servers: [server.address] }),
      'comparison',
    );
    expect(comparison.onlyLookup).toEqual(['127.0.0.1']);
    expect(comparison.summary).toContain('127.0.0.1 is an IP address');
  });

  it('throws synchronously for bad options, leaving no rejection unhandled', () => {
    expect(() => compareResolution('localhost', { servers: [] })).toThrow(TypeError);
    expect(() => compareResolution('localhost', { timeoutMs: 0 })).toThrow(RangeError);
  });

  it('rejects an invalid name instead of comparing', async () => {
    const server = await fakeServer({});
    const err = await rejection(
      compareResolution('a..b', { servers: [server.address] }),
      'comparison of an invalid name',
    );
    expect(err.reason).toBe('invalid-name');
    expect(server.queries).toEqual([]);
  });
});

describe('the fake DNS server codec (test support)', () => {
  it('decodes every query it encodes', () => {
    const label = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(label, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(1, 28),
        (id, labels, type) => {
          const query = decodeQuery(encodeQuery(id, labels.join('.'), type));
          expect(query).toMatchObject({
            id,
            recursionDesired: true,
            question: { name: labels.join('.'), type, class: 1 },
          });
        },
      ),
      { seed: 1_035, numRuns: 300 },
    );
  });

  it('rejects garbage with a RangeError and nothing else', () => {
    assertThrowsOnly(
      fc.uint8Array({ maxLength: 80 }),
      (bytes) => decodeQuery(Buffer.from(bytes)),
      [RangeError],
      { seed: 3, numRuns: 1_000 },
    );
  });

  it.each([
    ['10.0.0.1', '0a000001'],
    ['::1', '00000000000000000000000000000001'],
    ['fd00::1', 'fd000000000000000000000000000001'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['fe80::', 'fe800000000000000000000000000000'],
  ])('encodes the address %s', (address, hex) => {
    expect(addressBytes(address).toString('hex')).toBe(hex);
  });

  it('answers with the question echoed and the answer named by a pointer', () => {
    const query = decodeQuery(encodeQuery(0x1234, 'a.test', 1));
    const response = encodeResponse(query, RCODE.NOERROR, [{ address: '10.0.0.1', ttl: 60 }]);
    const header = '1234' + '8580' + '0001' + '0001' + '0000' + '0000'; // QR AA RD RA; 1 question, 1 answer
    const question = '01' + '61' + '04' + '74657374' + '00' + '0001' + '0001'; // a.test, A, IN
    const answer = 'c00c' + '0001' + '0001' + '0000003c' + '0004' + '0a000001'; // pointer, A, IN, ttl 60, 10.0.0.1
    expect(response.toString('hex')).toBe(header + question + answer);
  });
});
