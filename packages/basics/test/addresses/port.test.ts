import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { closeServer, listenOnFreePort } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  COMMON_SERVICES,
  classifyPort,
  linuxEphemeralRange,
  PORT_MAX,
  PORT_RANGES,
  parseEphemeralRange,
  parsePort,
} from '../../src/addresses/port.ts';
import { BasicsError, InvalidInputError } from '../../src/errors.ts';

const SEED = 0x9047; // fast-check seed: failures print it, runs are repeatable

describe('parsePort', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['80', 80],
    ['080', 80],
    ['00000', 0],
    ['65535', 65_535],
    [0, 0],
    [-0, 0],
    [443, 443],
    [65_535, 65_535],
  ] as const)('reads %j as %i', (input, port) => {
    expect(Object.is(parsePort(input), port)).toBe(true);
  });

  it.each([
    [''],
    ['65536'],
    ['99999'],
    ['000080'],
    ['100000'],
    ['+1'],
    ['-1'],
    ['1e3'],
    ['0x50'],
    ['0b1'],
    ['0o7'],
    [' 80'],
    ['80 '],
    ['8 0'],
    ['80\n'],
    ['\t80'],
    ['80.0'],
    ['80.5'],
    ['.5'],
    ['1_000'],
    ['1,000'],
    ['８０'],
    ['٨٠'],
    ['Infinity'],
    ['NaN'],
    ['80\0'],
    ['http'],
    ['9'.repeat(10_000)],
    [-1],
    [65_536],
    [80.5],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [Number.MAX_SAFE_INTEGER + 2],
    [1e21],
  ])('rejects %j', (input) => {
    let caught: unknown;
    try {
      parsePort(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    const err = caught as InvalidInputError;
    expect(err.code).toBe('BASICS_ERR_INVALID_PORT');
    expect(err.message).toContain('expected a whole number from 0 to 65535');
    expect(err.message.length).toBeLessThan(300);
  });

  it.each([[null], [undefined], [80n], [{}], [['80']]])('throws a TypeError for %s', (input) => {
    expect(() => parsePort(input as unknown as string)).toThrow(TypeError);
  });

  it('agrees with its own formatting for every port', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: PORT_MAX }), (port) => {
        expect(parsePort(String(port))).toBe(port);
        expect(parsePort(port)).toBe(port);
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('accepts a string only when it is 1-5 decimal digits up to 65535', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123456789+-.e x'), maxLength: 7 }),
        (text) => {
          const valid = /^[0-9]{1,5}$/.test(text) && Number(text) <= PORT_MAX;
          let ok = true;
          try {
            parsePort(text);
          } catch {
            ok = false;
          }
          expect(ok, JSON.stringify(text)).toBe(valid);
        },
      ),
      { seed: SEED, numRuns: 3_000 },
    );
  });
});

describe('classifyPort', () => {
  it.each([
    [0, 'ephemeral-request', false],
    [1, 'well-known', true],
    [22, 'well-known', true],
    [1023, 'well-known', true],
    [1024, 'registered', false],
    [8080, 'registered', false],
    [49_151, 'registered', false],
    [49_152, 'dynamic', false],
    [65_535, 'dynamic', false],
  ] as const)('puts %i in %s (privileged: %s)', (port, range, privileged) => {
    expect(classifyPort(port)).toMatchObject({ port, range, privileged });
  });

  it.each([
    [7, 'echo'],
    [21, 'ftp'],
    [22, 'ssh'],
    [25, 'smtp'],
    [53, 'domain'],
    [80, 'http'],
    [443, 'https'],
    [5432, 'postgresql'],
    [6379, 'redis'],
  ] as const)('names the service on port %i: %s', (port, service) => {
    expect(classifyPort(port).service).toBe(service);
    expect(classifyPort(port).description).toBeTruthy();
  });

  it('leaves service out for an unlisted port', () => {
    expect('service' in classifyPort(40_000)).toBe(false);
  });

  it('accepts decimal text and rejects invalid ports with the port code', () => {
    expect(classifyPort('443').service).toBe('https');
    expect(() => classifyPort(70_000)).toThrow(
      expect.objectContaining({ code: 'BASICS_ERR_INVALID_PORT' }),
    );
  });

  it('puts every port in exactly one range, and the ranges cover 0-65535', () => {
    const ranges = Object.values(PORT_RANGES);
    expect(ranges.reduce((sum, r) => sum + (r.to - r.from + 1), 0)).toBe(PORT_MAX + 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: PORT_MAX }), (port) => {
        const info = classifyPort(port);
        const { from, to } = PORT_RANGES[info.range];
        expect(port >= from && port <= to).toBe(true);
        expect(info.privileged).toBe(port > 0 && port < 1024);
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('lists services only on valid ports', () => {
    for (const port of Object.keys(COMMON_SERVICES)) {
      expect(parsePort(port)).toBe(Number(port));
    }
  });
});

describe('parseEphemeralRange', () => {
  it.each([
    ['32768\t60999\n', 32_768, 60_999],
    ['1024 65535', 1024, 65_535],
    ['  5000   5000  ', 5000, 5000],
  ])('reads %j', (text, low, high) => {
    expect(parseEphemeralRange(text)).toEqual({ low, high });
  });

  it.each([[''], ['32768'], ['60999 32768'], ['1 70000'], ['a b'], ['1 2 3'], ['1'.repeat(1000)]])(
    'rejects %j with BASICS_ERR_PARSE',
    (text) => {
      expect(() => parseEphemeralRange(text)).toThrow(
        expect.objectContaining({ code: 'BASICS_ERR_PARSE' }),
      );
    },
  );
});

describe('linuxEphemeralRange', () => {
  it('says clearly when the platform is not Linux', async () => {
    const failure = linuxEphemeralRange({ platform: 'darwin' });
    await expect(failure).rejects.toBeInstanceOf(BasicsError);
    await expect(failure).rejects.toMatchObject({ code: 'BASICS_ERR_UNSUPPORTED_PLATFORM' });
    await expect(failure).rejects.toThrow(/only Linux/);
  });

  it('keeps the cause when the file cannot be read', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'socketlab-port-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const missing = path.join(dir, 'missing');
    const error = await linuxEphemeralRange({ platform: 'linux', file: missing }).catch((e) => e);
    expect(error).toMatchObject({ code: 'BASICS_ERR_UNSUPPORTED_PLATFORM' });
    expect((error as Error).cause).toMatchObject({ code: 'ENOENT' });
  });

  it('reads a range file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'socketlab-port-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'range');
    await writeFile(file, '40000\t50000\n');
    expect(await linuxEphemeralRange({ platform: 'linux', file })).toEqual({
      low: 40_000,
      high: 50_000,
    });
  });

  it.runIf(process.platform === 'linux').each(['127.0.0.1', '::1'] as const)(
    'finds the port the kernel chose for a port-0 bind on %s inside the range',
    async (host) => {
      const { low, high } = await linuxEphemeralRange();
      expect(low).toBeGreaterThan(0);
      expect(high).toBeGreaterThanOrEqual(low);
      const server = net.createServer();
      onTestFinished(() => closeServer(server));
      const { port } = await listenOnFreePort(server, host);
      expect(port, `kernel's choice ${port} within ${low}-${high}`).toBeGreaterThanOrEqual(low);
      expect(port).toBeLessThanOrEqual(high);
      expect(classifyPort(port).range).not.toBe('ephemeral-request');
    },
  );
});
