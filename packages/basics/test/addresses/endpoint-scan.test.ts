/*
 * parseEndpoint takes a one-pass fast path for a plainly valid host:port or [v6]:port and leaves
 * everything else to the full parser. These tests hold the two to the same answers: on the edges
 * the fast path decides (ports, label rules, numeric last labels, zones, case) and on many
 * generated texts, valid and not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Endpoint, parseEndpoint, parseEndpointFully } from '../../src/addresses/endpoint.ts';
import { scanAddress, scannedV6Text } from '../../src/addresses/parse.ts';
import { InvalidInputError } from '../../src/errors.ts';

const SEED = 0x5ca9; // fast-check seed: failures print it, runs are repeatable

/** What a parse gives: the endpoint, or the error's class, code and message. */
function outcome(parse: () => Endpoint): unknown {
  try {
    return { endpoint: parse() };
  } catch (err) {
    const error = err as Error & { code?: string };
    return { error: error.constructor.name, code: error.code, message: error.message };
  }
}

function bothWays(text: string, defaultPort?: number): { fast: unknown; full: unknown } {
  return {
    fast: outcome(() => parseEndpoint(text, defaultPort === undefined ? {} : { defaultPort })),
    full: outcome(() => parseEndpointFully(text, defaultPort, undefined)),
  };
}

const LABEL_63 = 'a'.repeat(63);
/** 253 characters, the longest host name: three labels of 63 and one of 61, joined by dots. */
const NAME_253 = `${[LABEL_63, LABEL_63, LABEL_63].join('.')}.${'b'.repeat(61)}`;

describe('scanAddress, the address scanner on a range of a text', () => {
  it.each<[string, number, number, 4 | 6 | undefined, string | undefined]>([
    ['[1::]::', 1, 4, 6, '1::'],
    ['[1:2]::', 1, 4, undefined, undefined],
    ['::1::', 0, 3, 6, '::1'],
    ['x::1', 1, 4, 6, '::1'],
    ['1.2.3.4:5', 0, 7, 4, undefined],
    ['1.2.3.4:5', 0, 9, undefined, undefined],
    ['[fe80::1%eth0]:1', 1, 13, 6, 'fe80::1'],
    ['[fe80::1%eth0]:1', 1, 9, undefined, undefined],
    ['[::1%eth0]:1', 1, 9, undefined, undefined],
    ['[]', 1, 1, undefined, undefined],
  ])('reads %j from %i to %i', (text, start, end, family, v6Text) => {
    expect(scanAddress(text, start, end)).toBe(family);
    if (v6Text !== undefined) expect(scannedV6Text()).toBe(v6Text);
  });
});

describe('parseEndpoint on the edges its fast path decides', () => {
  it.each<[string, Endpoint]>([
    ['localhost:00080', { kind: 'name', host: 'localhost', port: 80 }],
    ['localhost:00000', { kind: 'name', host: 'localhost', port: 0 }],
    ['EXAMPLE.COM.:1', { kind: 'name', host: 'example.com.', port: 1 }],
    ['a.0xg:80', { kind: 'name', host: 'a.0xg', port: 80 }],
    ['xn--bcher-kva.example:80', { kind: 'name', host: 'xn--bcher-kva.example', port: 80 }],
    [`${LABEL_63}.example:1`, { kind: 'name', host: `${LABEL_63}.example`, port: 1 }],
    [`${NAME_253}:1`, { kind: 'name', host: NAME_253, port: 1 }],
    [`${NAME_253}.:65535`, { kind: 'name', host: `${NAME_253}.`, port: 65_535 }],
    ['255.255.255.255:65535', { kind: 'ip', family: 4, host: '255.255.255.255', port: 65_535 }],
    ['[FE80::A%Eth0]:1', { kind: 'ip', family: 6, host: 'fe80::a%Eth0', port: 1 }],
    ['[1:2:3:4:5:6:7:8]:9', { kind: 'ip', family: 6, host: '1:2:3:4:5:6:7:8', port: 9 }],
    ['[::ffff:1.2.3.4]:5', { kind: 'ip', family: 6, host: '::ffff:1.2.3.4', port: 5 }],
    ['unix:80', { kind: 'unix', path: '80' }],
  ])('reads %j', (text, expected) => {
    expect(parseEndpoint(text)).toEqual(expected);
    expect(parseEndpointFully(text, undefined, undefined)).toEqual(expected);
  });

  it.each([
    ['localhost:123456', 'BASICS_ERR_INVALID_PORT', 'too large'],
    ['localhost:65536', 'BASICS_ERR_INVALID_PORT', 'too large'],
    ['localhost:99999', 'BASICS_ERR_INVALID_PORT', 'too large'],
    ['1.2.3.4.:80', 'BASICS_ERR_INVALID_ADDRESS', 'read as IPv4'],
    ['example.0X1F.:80', 'BASICS_ERR_INVALID_ADDRESS', 'read as IPv4'],
    ['0x:80', 'BASICS_ERR_INVALID_ADDRESS', 'read as IPv4'],
    ['a.1:80', 'BASICS_ERR_INVALID_ADDRESS', 'read as IPv4'],
    ['1-2.3.4.5:80', 'BASICS_ERR_INVALID_ADDRESS', 'read as IPv4'],
    [`${'a'.repeat(64)}.example:1`, 'BASICS_ERR_INVALID_ENDPOINT', 'longer than 63'],
    [`${NAME_253}b:1`, 'BASICS_ERR_INVALID_ENDPOINT', 'longer than'],
    ['example.com..:80', 'BASICS_ERR_INVALID_ENDPOINT', 'empty'],
    ['..:80', 'BASICS_ERR_INVALID_ENDPOINT', 'empty'],
    ['[fe80::1%eth0%x]:1', 'BASICS_ERR_INVALID_ADDRESS', 'zone id'],
    ['[fe80::1%]:1', 'BASICS_ERR_INVALID_ADDRESS', "'%' must be followed"],
    ['[::1]:1:2', 'BASICS_ERR_INVALID_PORT', 'decimal digits'],
    ['localhost:80:80', 'BASICS_ERR_INVALID_ENDPOINT', 'brackets'],
  ])('rejects %j with %s as the full parser does', (text, code, words) => {
    const { fast, full } = bothWays(text);
    expect(fast).toEqual(full);
    expect(fast).toMatchObject({ error: InvalidInputError.name, code });
    expect((fast as { message: string }).message).toContain(words);
  });
});

describe('parseEndpoint answers as the full parser does', () => {
  const ALPHABET = [...'0123456789abcdefxABCDEFX.:-_[]% /un\0'].concat(['unix:', '::', 'é']);
  const text = fc
    .array(fc.constantFrom(...ALPHABET), { maxLength: 24 })
    .map((parts) => parts.join(''));
  const label = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,8}[A-Za-z0-9])?$/);
  const name = fc
    .tuple(fc.array(label, { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([labels, dot]) => labels.join('.') + (dot ? '.' : ''));
  // Mostly valid parts, sometimes one that is not, so both verdicts come up often.
  const octet = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 255 }).map(String), weight: 8 },
    { arbitrary: fc.constantFrom('256', '010', '', '0x1'), weight: 1 },
  );
  const v4 = fc
    .oneof(
      { arbitrary: fc.array(octet, { minLength: 4, maxLength: 4 }), weight: 4 },
      { arbitrary: fc.array(octet, { minLength: 1, maxLength: 6 }), weight: 1 },
    )
    .map((parts) => parts.join('.'));
  const group = fc.oneof(
    { arbitrary: fc.stringMatching(/^[0-9a-fA-F]{1,4}$/), weight: 8 },
    { arbitrary: fc.constantFrom('12345', '1.2.3.4', 'g'), weight: 1 },
  );
  const v6 = fc
    .tuple(fc.array(group, { maxLength: 9 }), fc.nat({ max: 9 }), fc.boolean(), fc.boolean())
    .map(([groups, at, gap, zone]) => {
      // A zone id is allowed on a link-local address only: start those with fe80.
      const words = zone ? ['fe80', ...groups.slice(1)] : groups;
      const cut = Math.min(at, words.length);
      const body = gap
        ? `${words.slice(0, cut).join(':')}::${words.slice(cut).join(':')}`
        : words.join(':');
      return `[${body}${zone ? '%eth0' : ''}]`;
    });
  const port = fc.oneof(
    fc.integer({ min: 0, max: 70_000 }).map((n) => `:${n}`),
    fc.constantFrom('', ':', ':0080', ':1:2', ':x'),
  );
  const endpoint = fc.tuple(fc.oneof(name, v4, v6, text), port).map(([host, p]) => host + p);
  const defaultPort = fc.option(fc.integer({ min: 0, max: 65_535 }), { nil: undefined });

  /** Both parsers give the same endpoint, or the same error, on every generated text. */
  function agreeOn(texts: fc.Arbitrary<string>): void {
    fc.assert(
      fc.property(texts, defaultPort, (input, fallback) => {
        const { fast, full } = bothWays(input, fallback);
        expect(fast).toEqual(full);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  }

  it('on texts made of the characters endpoints are made of', () => agreeOn(text));

  it('on names, addresses and ports, well-formed or nearly', () => agreeOn(endpoint));
});
