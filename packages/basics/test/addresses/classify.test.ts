import { describe, expect, it } from 'vitest';
import {
  type AddressScope,
  classifyAddress,
  IPV4_SPECIAL_RANGES,
  IPV6_SPECIAL_RANGES,
  parseAddress,
} from '../../src/addresses/index.ts';

describe('classifyAddress', () => {
  it.each<[string, AddressScope, string | undefined]>([
    ['0.0.0.0', 'unspecified', '0.0.0.0/32'],
    ['0.1.2.3', 'reserved', '0.0.0.0/8'],
    ['10.0.0.1', 'private', '10.0.0.0/8'],
    ['10.255.255.255', 'private', '10.0.0.0/8'],
    ['11.0.0.1', 'global', undefined],
    ['100.63.255.255', 'global', undefined],
    ['100.64.0.0', 'shared', '100.64.0.0/10'],
    ['100.127.255.255', 'shared', '100.64.0.0/10'],
    ['100.128.0.0', 'global', undefined],
    ['127.0.0.1', 'loopback', '127.0.0.0/8'],
    ['127.255.255.254', 'loopback', '127.0.0.0/8'],
    ['169.254.1.1', 'link-local', '169.254.0.0/16'],
    ['172.15.255.255', 'global', undefined],
    ['172.16.0.0', 'private', '172.16.0.0/12'],
    ['172.31.255.255', 'private', '172.16.0.0/12'],
    ['172.32.0.0', 'global', undefined],
    ['192.0.0.8', 'reserved', '192.0.0.0/24'],
    ['192.0.2.1', 'documentation', '192.0.2.0/24'],
    ['192.168.1.1', 'private', '192.168.0.0/16'],
    ['198.18.0.1', 'reserved', '198.18.0.0/15'],
    ['198.19.255.255', 'reserved', '198.18.0.0/15'],
    ['198.51.100.7', 'documentation', '198.51.100.0/24'],
    ['203.0.113.9', 'documentation', '203.0.113.0/24'],
    ['8.8.8.8', 'global', undefined],
    ['224.0.0.1', 'multicast', '224.0.0.0/4'],
    ['239.255.255.255', 'multicast', '224.0.0.0/4'],
    ['240.0.0.1', 'reserved', '240.0.0.0/4'],
    ['255.255.255.254', 'reserved', '240.0.0.0/4'],
    ['255.255.255.255', 'broadcast', '255.255.255.255/32'],
    ['::', 'unspecified', '::/128'],
    ['::1', 'loopback', '::1/128'],
    ['::2', 'reserved', '::/8'],
    ['::1.2.3.4', 'reserved', '::/8'],
    ['64:ff9b::8.8.8.8', 'global', '64:ff9b::/96'],
    ['100::1', 'reserved', '100::/64'],
    ['2001:db8::1', 'documentation', '2001:db8::/32'],
    ['3fff:fff::1', 'documentation', '3fff::/20'],
    ['2606:4700::1111', 'global', undefined],
    ['2a00::1', 'global', undefined],
    ['fc00::1', 'unique-local', 'fc00::/7'],
    ['fd12:3456::1', 'unique-local', 'fc00::/7'],
    ['fe80::1', 'link-local', 'fe80::/10'],
    ['fe80::1%eth0', 'link-local', 'fe80::/10'],
    ['febf:ffff::1', 'link-local', 'fe80::/10'],
    ['fec0::1', 'reserved', 'fec0::/10'],
    ['ff02::1', 'multicast', 'ff00::/8'],
    ['ff0e::1', 'multicast', 'ff00::/8'],
  ])('classifies %s as %s (%s)', (input, scope, range) => {
    const info = classifyAddress(input);
    expect(info.scope).toBe(scope);
    expect(info.range).toBe(range);
    expect(info.v4Mapped).toBe(false);
    expect(info.reason).toMatch(/RFC \d+/);
    if (range !== undefined) expect(info.reason).toContain(range);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:8.8.8.8', 'global'],
    ['::ffff:255.255.255.255', 'broadcast'],
  ])('classifies the IPv4-mapped %s by the IPv4 inside (%s)', (input, scope) => {
    const info = classifyAddress(input);
    expect(info).toMatchObject({ family: 6, v4Mapped: true, scope, range: '::ffff:0:0/96' });
    expect(info.embedded?.address.text).toBe(input.slice('::ffff:'.length));
    expect(info.embedded?.scope).toBe(scope);
    expect(info.reason).toContain('RFC 4291');
  });

  it('accepts an already parsed address', () => {
    expect(classifyAddress(parseAddress('fe80::1%eth0')).scope).toBe('link-local');
  });

  it('rejects invalid input with the address code', () => {
    expect(() => classifyAddress('localhost')).toThrow(
      expect.objectContaining({ code: 'BASICS_ERR_INVALID_ADDRESS' }),
    );
    expect(() => classifyAddress(null as unknown as string)).toThrow(TypeError);
  });

  it('lists every range with a CIDR that parses and an RFC', () => {
    for (const range of [...IPV4_SPECIAL_RANGES, ...IPV6_SPECIAL_RANGES]) {
      const [base = '', bits = ''] = range.cidr.split('/');
      const address = parseAddress(base);
      expect(Number(bits)).toBeLessThanOrEqual(address.bytes.length * 8);
      expect(range.reason).toMatch(/RFC \d+/);
      const matched = classifyAddress(base).range ?? '';
      const matchedBits = Number(matched.split('/')[1]);
      expect(
        matchedBits,
        `${base} matches ${range.cidr} or a narrower range`,
      ).toBeGreaterThanOrEqual(Number(bits));
    }
  });
});
