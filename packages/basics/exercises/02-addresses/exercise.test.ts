import { lessonOf, loadExercise, thrownBy } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type Exercise = typeof import('./exercise.ts');
const { parseIPv4, classifyIPv4, splitHostPort } = await loadExercise<Exercise>(import.meta.url);

const lesson = lessonOf(import.meta.url);
const STRICT = lesson.see('IPv4 text, strictly');
const RANGES = lesson.see('Special ranges');
const HOST_PORT = lesson.see('host:port, and why IPv6 needs brackets');
const SEED = 0x0202; // fast-check seed: failures print it, runs are repeatable

describe('parseIPv4', () => {
  it.each([
    ['0.0.0.0', [0, 0, 0, 0]],
    ['127.0.0.1', [127, 0, 0, 1]],
    ['192.0.2.1', [192, 0, 2, 1]],
    ['10.20.30.40', [10, 20, 30, 40]],
    ['255.255.255.255', [255, 255, 255, 255]],
    ['1.10.100.200', [1, 10, 100, 200]],
  ])('parses %s', (text, octets) => {
    expect(parseIPv4(text), `parseIPv4(${JSON.stringify(text)}). ${STRICT}`).toEqual(octets);
  });

  it.each([
    ['', 'the empty string'],
    ['127.1', 'shorthand with 2 parts'],
    ['127.0.1', 'only 3 parts'],
    ['1.2.3.4.5', '5 parts'],
    ['1.2.3.', 'an empty last part'],
    ['.1.2.3', 'an empty first part'],
    ['1..2.3', 'an empty part in the middle'],
    ['256.0.0.1', 'an octet above 255'],
    ['1.2.3.1000', 'a 4-digit octet'],
    ['010.0.0.1', 'a leading zero (octal to inet_aton)'],
    ['1.2.3.04', 'a leading zero in the last octet'],
    ['00.0.0.0', 'a double zero'],
    ['0x7f.0.0.1', 'a hex octet'],
    ['1e2.0.0.1', 'an exponent'],
    ['+1.2.3.4', 'a plus sign'],
    ['1.2.3.-4', 'a minus sign'],
    [' 1.2.3.4', 'a leading space'],
    ['1.2.3.4 ', 'a trailing space'],
    ['1.2.3.4\n', 'a trailing newline'],
    ['1.2.3.4\0', 'a NUL byte'],
    ['1.2.3.４', 'a full-width digit'],
    ['1.2.3.4/24', 'a CIDR suffix'],
    ['a.b.c.d', 'letters'],
    ['::1', 'an IPv6 address'],
    ['1.2.3.4:80', 'a port'],
    [`${'1.'.repeat(50_000)}1`, 'a 100 001-character string'],
  ])('rejects %j (%s)', (text, why) => {
    thrownBy(() => parseIPv4(text), `parseIPv4 of ${why}`, STRICT);
  });

  it('parses every address written in dotted decimal (property test)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
        const text = Array.from(bytes).join('.');
        expect(parseIPv4(text), `parseIPv4(${JSON.stringify(text)}). ${STRICT}`).toEqual(
          Array.from(bytes),
        );
      }),
      { seed: SEED, numRuns: 1_000 },
    );
  });

  it('rejects any octet written with a leading zero (property test)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (bytes, which) => {
          const parts = Array.from(bytes, String);
          parts[which] = `0${parts[which]}`;
          const text = parts.join('.');
          thrownBy(() => parseIPv4(text), `parseIPv4(${JSON.stringify(text)})`, STRICT);
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('classifyIPv4', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.0.0.1', 'reserved'],
    ['0.255.255.255', 'reserved'],
    ['9.255.255.255', 'global'],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['11.0.0.0', 'global'],
    ['100.63.255.255', 'global'],
    ['100.64.0.0', 'shared'],
    ['100.127.255.255', 'shared'],
    ['100.128.0.0', 'global'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['169.253.255.255', 'global'],
    ['169.254.0.1', 'link-local'],
    ['169.255.0.0', 'global'],
    ['172.15.255.255', 'global'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'global'],
    ['192.0.0.1', 'reserved'],
    ['192.0.2.0', 'documentation'],
    ['192.0.2.255', 'documentation'],
    ['192.0.3.0', 'global'],
    ['192.167.255.255', 'global'],
    ['192.168.0.0', 'private'],
    ['192.168.255.255', 'private'],
    ['192.169.0.0', 'global'],
    ['198.17.255.255', 'global'],
    ['198.18.0.0', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['198.20.0.0', 'global'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.255', 'documentation'],
    ['203.0.114.0', 'global'],
    ['8.8.8.8', 'global'],
    ['223.255.255.255', 'global'],
    ['224.0.0.0', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.0', 'reserved'],
    ['255.255.255.254', 'reserved'],
    ['255.255.255.255', 'broadcast'],
  ])('classifies %s as %s', (text, scope) => {
    expect(classifyIPv4(text), `classifyIPv4(${JSON.stringify(text)}). ${RANGES}`).toBe(scope);
  });

  it.each(['', '10.0.0.256', '127.1', '010.0.0.1', '::1', 'localhost'])(
    'throws for the invalid address %j',
    (text) => {
      thrownBy(() => classifyIPv4(text), `classifyIPv4(${JSON.stringify(text)})`, STRICT);
    },
  );
});

describe('splitHostPort', () => {
  it.each([
    ['127.0.0.1:80', '127.0.0.1', 80],
    ['localhost:8080', 'localhost', 8080],
    ['example.com:443', 'example.com', 443],
    ['localhost:0', 'localhost', 0],
    ['localhost:65535', 'localhost', 65_535],
    ['[::1]:80', '::1', 80],
    ['[2001:db8::1]:0', '2001:db8::1', 0],
    ['[fe80::1%eth0]:8080', 'fe80::1%eth0', 8080],
    ['[::ffff:192.0.2.1]:22', '::ffff:192.0.2.1', 22],
  ])('splits %s', (text, host, port) => {
    expect(splitHostPort(text), `splitHostPort(${JSON.stringify(text)}). ${HOST_PORT}`).toEqual({
      host,
      port,
    });
  });

  it('rejects a bare IPv6 address and says to use brackets', () => {
    for (const text of ['::1:80', '2001:db8::1:443', 'fe80::1%eth0:80']) {
      const err = thrownBy(
        () => splitHostPort(text),
        `splitHostPort(${JSON.stringify(text)})`,
        HOST_PORT,
      );
      expect(
        err.message,
        `the error for ${JSON.stringify(text)} mentions brackets. ${HOST_PORT}`,
      ).toMatch(/bracket/i);
    }
  });

  it.each([
    ['', 'the empty string'],
    ['127.0.0.1', 'no port'],
    ['localhost', 'no port'],
    ['localhost:', 'an empty port'],
    [':80', 'an empty host'],
    ['[]:80', 'empty brackets'],
    ['[::1]', 'brackets without a port'],
    ['[::1]:', 'brackets with an empty port'],
    ['[::1]80', 'no colon after the bracket'],
    ['[::1:80', 'no closing bracket'],
    ['localhost:65536', 'a port above 65535'],
    ['localhost:100000', 'a 6-digit port'],
    ['localhost:-1', 'a negative port'],
    ['localhost:+80', 'a plus sign'],
    ['localhost:8o', 'a letter in the port'],
    ['localhost:80.0', 'a decimal point'],
    ['localhost:1e3', 'an exponent'],
    ['localhost:0x50', 'a hex port'],
    ['localhost: 80', 'a space before the port'],
    ['localhost:80 ', 'a space after the port'],
    ['localhost:http', 'a service name instead of a number'],
  ])('rejects %j (%s)', (text, why) => {
    thrownBy(() => splitHostPort(text), `splitHostPort of ${why}`, HOST_PORT);
  });
});
