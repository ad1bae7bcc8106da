import net from 'node:net';
import { anyText, closeServer, connectTcp, listenOnFreePort, toHex } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  ADDRESS_MAX_LENGTH,
  addressFromBytes,
  classifyAddress,
  formatAddress,
  isIPv4,
  isIPv6,
  parseAddress,
} from '../../src/addresses/index.ts';
import { InvalidInputError } from '../../src/errors.ts';

const SEED = 0xadd7; // fast-check seed: failures print it, runs are repeatable

function parseError(input: string): InvalidInputError {
  try {
    parseAddress(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected, but it parsed`);
}

describe('parseAddress accepts', () => {
  it.each([
    ['0.0.0.0', 4, '0.0.0.0'],
    ['127.0.0.1', 4, '127.0.0.1'],
    ['255.255.255.255', 4, '255.255.255.255'],
    ['192.0.2.10', 4, '192.0.2.10'],
    ['::', 6, '::'],
    ['::1', 6, '::1'],
    ['0:0:0:0:0:0:0:1', 6, '::1'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', 6, '::1'],
    ['2001:DB8::1', 6, '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 6, '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:0:0:1:0:0:0:1', 6, '2001:0:0:1::1'], // the longest run wins
    ['2001:db8:0:1:1:1:1:1', 6, '2001:db8:0:1:1:1:1:1'], // one zero group stays
    ['1::', 6, '1::'],
    ['1:2:3:4:5:6:7::', 6, '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', 6, '0:2:3:4:5:6:7:8'],
    ['::ffff:192.0.2.1', 6, '::ffff:192.0.2.1'],
    ['::FFFF:c000:0201', 6, '::ffff:192.0.2.1'],
    ['0:0:0:0:0:ffff:127.0.0.1', 6, '::ffff:127.0.0.1'],
    ['::1.2.3.4', 6, '::102:304'],
    ['1:2:3:4:5:6:1.2.3.4', 6, '1:2:3:4:5:6:102:304'],
    ['64:ff9b::192.0.2.33', 6, '64:ff9b::c000:221'],
    ['fe80::1%eth0', 6, 'fe80::1%eth0'],
    ['FE80::1%2', 6, 'fe80::1%2'],
    ['febf::1%en0', 6, 'febf::1%en0'],
    ['fe80::1%my_if.0-1', 6, 'fe80::1%my_if.0-1'],
    ['ff02::1%lo', 6, 'ff02::1%lo'],
    [`fe80::1%${'z'.repeat(32)}`, 6, `fe80::1%${'z'.repeat(32)}`],
  ] as const)('%s as IPv%i, canonically %s', (input, family, canonical) => {
    const address = parseAddress(input);
    expect(address.family).toBe(family);
    expect(address.text).toBe(canonical);
    expect(formatAddress(address)).toBe(canonical);
    expect(address.bytes.length).toBe(family === 4 ? 4 : 16);
  });

  it('keeps the zone id apart from the bytes', () => {
    const address = parseAddress('fe80::abcd%eth0');
    expect(address.zone).toBe('eth0');
    expect(toHex(address.bytes)).toBe('fe80000000000000000000000000abcd');
    expect('zone' in parseAddress('fe80::abcd')).toBe(false);
  });

  it('puts IPv4 bytes in network order', () => {
    expect([...parseAddress('192.0.2.1').bytes]).toEqual([192, 0, 2, 1]);
    expect(toHex(parseAddress('::ffff:192.0.2.1').bytes)).toBe('00000000000000000000ffffc0000201');
  });
});

describe('parseAddress rejects', () => {
  it.each([
    ['', 'empty'],
    ['010.0.0.1', 'leading zero'],
    ['1.2.3.04', 'leading zero'],
    ['00.0.0.0', 'leading zero'],
    ['127.1', 'shorthand'],
    ['127.0.1', 'found 3 part'],
    ['1.2.3.4.5', 'found 5 part'],
    ['1.2.3.', 'octet 4 is empty'],
    ['.1.2.3', 'octet 1 is empty'],
    ['1..2.3', 'octet 2 is empty'],
    ['256.0.0.1', 'above 255'],
    ['1.2.3.1000', 'above 255'],
    ['0x7f.0.0.1', 'not a decimal number'],
    ['1.2.3.4a', 'not a decimal number'],
    ['1.2.3.4%eth0', 'no zone id'],
    [' 1.2.3.4', 'whitespace'],
    ['1.2.3.4 ', 'whitespace'],
    ['1.2.3.4\n', 'whitespace'],
    ['1.2.3.4\0', 'NUL'],
    ['\0', 'NUL'],
    ['1.2.3.４', 'never appears'],
    ['1.2.3.-4', 'not a decimal number'],
    ['+1.2.3.4', 'never appears'],
    [':', 'group is empty'],
    [':::', "'::' may appear only once"],
    ['1::2::3', "'::' may appear only once"],
    [':1:2:3:4:5:6:7', 'group is empty'],
    ['1:2:3:4:5:6:7:', 'group is empty'],
    ['1:2:3:4:5:6:7', 'found 7'],
    ['1:2:3:4:5:6:7:8:9', 'found 9'],
    ['1::2:3:4:5:6:7:8', 'at least one zero group'],
    ['12345::', 'more than 4 hex digits'],
    ['::g', 'not a hex digit'],
    ['::1.2.3.4:1', 'must be the last 32 bits'],
    ['1.2.3.4::', 'must be the last 32 bits'],
    ['::ffff:1.2.3', 'found 3 part'],
    ['::ffff:01.2.3.4', 'leading zero'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'found 9'],
    ['[::1]', 'never appears'],
    ['::1%eth0', 'only meaningful on a link-local address'],
    ['2001:db8::1%eth0', 'only meaningful on a link-local address'],
    ['fec0::1%eth0', 'only meaningful on a link-local address'],
    ['ff05::1%eth0', 'only meaningful on a link-local address'],
    ['fe80::1%', 'must be followed by a zone id'],
    ['fe80::1%eth:0', 'may only contain'],
    ['fe80::1%eth%0', 'may only contain'],
    ['fe80::1%eth 0', 'whitespace'],
    ['fe80::1%eth\x000', 'NUL'],
    [`fe80::1%${'z'.repeat(33)}`, 'longer than 32'],
    ['a'.repeat(ADDRESS_MAX_LENGTH + 1), 'longer than any IP address'],
  ])('%j (%s)', (input, fragment) => {
    const err = parseError(input);
    expect(err.code).toBe('BASICS_ERR_INVALID_ADDRESS');
    expect(err.message).toContain(fragment);
    expect(err.message.length, 'messages stay readable however long the input').toBeLessThan(400);
    expect(err.input.length).toBeLessThanOrEqual(100);
  });

  it.each([[123], [null], [undefined], [{ text: '::1' }]])(
    'throws a TypeError for the non-string %j',
    (input) => {
      expect(() => parseAddress(input as unknown as string)).toThrow(TypeError);
    },
  );

  it('rejects a huge input by its length, before any other check', () => {
    // Every character is legal, so only the length check can produce this message.
    const err = parseError(`${'1.'.repeat(5_000_000)}1`);
    expect(err.message).toContain('longer than any IP address');
    expect(err.input.length).toBe(100);
  });
});

describe('isIPv4 and isIPv6', () => {
  it.each([
    ['127.0.0.1', true, false],
    ['::1', false, true],
    ['fe80::1%eth0', false, true],
    ['::1%eth0', false, false],
    ['127.1', false, false],
    ['', false, false],
  ])('%j: isIPv4 %s, isIPv6 %s', (input, v4, v6) => {
    expect(isIPv4(input)).toBe(v4);
    expect(isIPv6(input)).toBe(v6);
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(typeof isIPv4(value)).toBe('boolean');
        expect(typeof isIPv6(value)).toBe('boolean');
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('addressFromBytes and formatAddress', () => {
  it('builds addresses from bytes and rejects wrong lengths', () => {
    expect(addressFromBytes(new Uint8Array([10, 0, 0, 1])).text).toBe('10.0.0.1');
    expect(addressFromBytes(new Uint8Array(16)).text).toBe('::');
    expect(() => addressFromBytes(new Uint8Array(5))).toThrow(RangeError);
    expect(() => formatAddress({ bytes: new Uint8Array(15) })).toThrow(RangeError);
  });

  it('checks a zone id given with bytes', () => {
    const linkLocal = parseAddress('fe80::1').bytes;
    expect(addressFromBytes(linkLocal, 'eth0').text).toBe('fe80::1%eth0');
    expect(() => addressFromBytes(parseAddress('::1').bytes, 'eth0')).toThrow(/link-local/);
    expect(() => addressFromBytes(new Uint8Array(4), 'eth0')).toThrow(/no zone id/);
  });
});

// ---- properties ------------------------------------------------------------------------------

/** 16 bytes biased towards runs of zeros, so compression is exercised. */
const v6Bytes = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map((words) => {
    const bytes = new Uint8Array(16);
    words.forEach((w, i) => {
      bytes[2 * i] = w >> 8;
      bytes[2 * i + 1] = w & 0xff;
    });
    return bytes;
  });

const words = (bytes: Uint8Array): number[] =>
  Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));

/** Any legal spelling of an IPv6 address: padding, case, which zero run is compressed, v4 tail. */
const v6Spelling = fc
  .record({
    bytes: v6Bytes,
    pad: fc.boolean(),
    upper: fc.boolean(),
    v4Tail: fc.boolean(),
    compress: fc.nat(),
  })
  .map(({ bytes, pad, upper, v4Tail, compress }) => {
    const groups = words(bytes).map((w) => {
      const text = w.toString(16);
      return (pad ? text.padStart(4, '0') : text)[upper ? 'toUpperCase' : 'toLowerCase']();
    });
    if (v4Tail) groups.splice(6, 2, Array.from(bytes.subarray(12)).join('.'));
    const zeroRuns: [number, number][] = [];
    for (let at = 0; at < groups.length; at++) {
      let end = at;
      while (end < groups.length && /^0+$/.test(groups[end] ?? '')) end++;
      for (let e = at + 1; e <= end; e++) zeroRuns.push([at, e]);
    }
    const run = zeroRuns.length > 0 ? zeroRuns[compress % (zeroRuns.length + 1)] : undefined;
    if (!run) return { text: groups.join(':'), bytes };
    const [from, to] = run;
    return {
      text: `${groups.slice(0, from).join(':')}::${groups.slice(to).join(':')}`,
      bytes,
    };
  });

const v4Bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });

describe('properties', () => {
  it('round-trips every IPv4 address through format and parse', () => {
    fc.assert(
      fc.property(v4Bytes, (bytes) => {
        const text = formatAddress({ bytes });
        expect(text).toBe(Array.from(bytes).join('.'));
        expect(parseAddress(text)).toEqual(addressFromBytes(bytes));
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('round-trips random IPv6 byte arrays: parse(format(a)) equals a', () => {
    fc.assert(
      fc.property(v6Bytes, (bytes) => {
        const address = addressFromBytes(bytes);
        expect(parseAddress(formatAddress(address))).toEqual(address);
      }),
      { seed: SEED, numRuns: 3_000 },
    );
  });

  it('formats IPv6 like the WHATWG URL serializer (which follows RFC 5952)', () => {
    fc.assert(
      fc.property(v6Bytes, (bytes) => {
        fc.pre(!classifyAddress(addressFromBytes(bytes)).v4Mapped); // URL writes those in hex
        const text = formatAddress({ bytes });
        expect(`[${text}]`).toBe(new URL(`http://[${text}]/`).hostname);
        expect(text).toBe(text.toLowerCase());
        expect(text).not.toMatch(/(^|:)0[0-9a-f]/); // no leading zeros
        expect(text.split('::').length).toBeLessThanOrEqual(2);
      }),
      { seed: SEED, numRuns: 3_000 },
    );
  });

  it('gives every spelling of an address the same canonical form', () => {
    fc.assert(
      fc.property(v6Spelling, ({ text, bytes }) => {
        const parsed = parseAddress(text);
        expect(toHex(parsed.bytes), text).toBe(toHex(bytes));
        expect(parsed.text).toBe(formatAddress({ bytes }));
        expect(parseAddress(parsed.text).text, 'canonical text is a fixed point').toBe(parsed.text);
      }),
      { seed: SEED, numRuns: 3_000 },
    );
  });

  it('throws only InvalidInputError or succeeds on any string', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          anyText(40),
          v6Spelling.map((s) => s.text),
        ),
        (text) => {
          try {
            parseAddress(text);
          } catch (err) {
            expect(err).toBeInstanceOf(InvalidInputError);
            expect((err as InvalidInputError).code).toBe('BASICS_ERR_INVALID_ADDRESS');
          }
        },
      ),
      { seed: SEED, numRuns: 3_000 },
    );
  });
});

// ---- agreement with node:net ----------------------------------------------------------------

const ALPHABET = '0123456789abcdefABCDEF:.%_-x g\0'.split('');

/** Valid spellings, then mutated ones: an edit or two away from valid is where parsers disagree. */
const candidate = fc.oneof(
  v4Bytes.map((b) => Array.from(b).join('.')),
  v6Spelling.map((s) => s.text),
  fc
    .tuple(
      fc.oneof(
        v6Spelling.map((s) => s.text),
        v4Bytes.map((b) => Array.from(b).join('.')),
      ),
      fc.array(
        fc.tuple(
          fc.constantFrom('insert', 'delete', 'replace'),
          fc.nat(),
          fc.constantFrom(...ALPHABET),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([text, edits]) =>
      edits.reduce((s, [op, at, ch]) => {
        const i = at % (s.length + 1);
        if (op === 'insert') return s.slice(0, i) + ch + s.slice(i);
        if (op === 'delete') return s.slice(0, i) + s.slice(i + 1);
        return s.slice(0, i) + ch + s.slice(i + 1);
      }, text),
    ),
  fc
    .tuple(
      fc.constantFrom('fe80::1', 'fe80::', '::1', 'ff02::1', '2001:db8::1', 'febf::1'),
      fc.string({ unit: fc.constantFrom(...ALPHABET, 'Z', ':'), maxLength: 40 }),
    )
    .map(([base, zone]) => `${base}%${zone}`),
  fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 46 }),
  // Plausible pieces in random order: '1.2.3.4::', '::1::', 'ffff:1.2.3.4:5', …
  fc
    .array(
      fc.oneof(
        fc.constantFrom(':', '::', ':', '.', '0', 'ffff', 'FE80', '%eth0'),
        fc.integer({ min: 0, max: 0x1ffff }).map((n) => n.toString(16)),
        fc.integer({ min: 0, max: 300 }).map(String),
        v4Bytes.map((b) => Array.from(b).join('.')),
      ),
      { maxLength: 12 },
    )
    .map((pieces) => pieces.join('')),
);

const ZONE_RULE = /^[A-Za-z0-9_.-]{1,32}$/;

describe('agreement with net.isIP', () => {
  it('agrees on valid and invalid strings, except for the documented zone id and length rules', () => {
    const seen = { valid: 0, invalid: 0, zone: 0 };
    fc.assert(
      fc.property(candidate, (text) => {
        const ours = isIPv4(text) ? 4 : isIPv6(text) ? 6 : 0;
        const node = net.isIP(text);
        if (text.length > ADDRESS_MAX_LENGTH) {
          // Deliberate difference 1: we refuse anything longer than the longest address.
          expect(ours).toBe(0);
          return;
        }
        const percent = text.indexOf('%');
        if (percent >= 0 && net.isIP(text.slice(0, percent)) === 6) {
          // Deliberate difference 2: Node accepts any zone id made of [0-9a-zA-Z-.:] on any IPv6
          // address; we accept [A-Za-z0-9_.-]{1,32} on link-local addresses only (RFC 4007 §6).
          seen.zone++;
          const base = parseAddress(text.slice(0, percent));
          const linkLocal =
            ['link-local'].includes(classifyAddress(base).scope) ||
            /^ff[0-9a-f][12]:/.test(base.text);
          expect(ours, text).toBe(ZONE_RULE.test(text.slice(percent + 1)) && linkLocal ? 6 : 0);
          return;
        }
        expect(ours, `ours and net.isIP disagree on ${JSON.stringify(text)}`).toBe(node);
        seen[node === 0 ? 'invalid' : 'valid']++;
      }),
      { seed: SEED, numRuns: 20_000 },
    );
    expect(seen.valid, 'the sample holds many valid addresses').toBeGreaterThan(4_000);
    expect(seen.invalid, 'the sample holds many invalid strings').toBeGreaterThan(4_000);
    expect(seen.zone, 'the sample holds many zone ids').toBeGreaterThan(500);
  });

  it.each([
    ['::1%eth0', 6, 0],
    ['2001:db8::1%1', 6, 0],
    ['fe80::1%eth:0', 6, 0],
    ['fe80::1%eth_0', 0, 6],
    [`fe80::1%${'z'.repeat(40)}`, 6, 0],
  ])('documents the deliberate difference on %j (net.isIP %i, ours %i)', (text, node, ours) => {
    expect(net.isIP(text)).toBe(node);
    expect(isIPv6(text) ? 6 : 0).toBe(ours);
  });

  it.each(['010.0.0.1', '127.1', '0x7f.0.0.1', '1.2.3.04'])(
    'rejects %j as net.isIP does',
    (text) => {
      expect(net.isIP(text)).toBe(0);
      expect(isIPv4(text)).toBe(false);
    },
  );
});

// ---- real sockets ----------------------------------------------------------------------------

describe('addresses reported by real sockets', () => {
  it.each([
    ['127.0.0.1', 4, 'IPv4'],
    ['::1', 6, 'IPv6'],
  ] as const)(
    'parses and classifies a server bound to %s as loopback',
    async (host, family, name) => {
      const server = net.createServer();
      const accepted: net.Socket[] = [];
      server.on('connection', (socket) => accepted.push(socket));
      onTestFinished(() => closeServer(server, accepted));
      const { port } = await listenOnFreePort(server, host);
      const bound = server.address();
      if (bound === null || typeof bound === 'string') throw new Error('expected a TCP address');
      expect(bound.family).toBe(name);
      const info = classifyAddress(bound.address);
      expect(info).toMatchObject({ family, scope: 'loopback', v4Mapped: false });
      expect(info.address.text).toBe(host);

      const client = await connectTcp(port, host);
      onTestFinished(() => {
        client.destroy();
      });
      for (const seen of [client.localAddress, client.remoteAddress]) {
        expect(seen).toBeDefined();
        expect(classifyAddress(seen ?? '').scope, `${seen} as seen by the client`).toBe('loopback');
      }
    },
  );
});
