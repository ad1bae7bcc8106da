import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BasicsError } from '../../src/errors.ts';
import {
  type FiveTuple,
  fiveTuple,
  type LifecycleEvent,
  type SocketAddresses,
  tryFiveTuple,
} from '../../src/lifecycle/event.ts';
import { formatLifecycleEvent } from '../../src/lifecycle/format.ts';

const V4: FiveTuple = {
  protocol: 'tcp',
  localAddress: '127.0.0.1',
  localPort: 53122,
  remoteAddress: '127.0.0.1',
  remotePort: 7000,
};
const V6: FiveTuple = {
  protocol: 'tcp',
  localAddress: '::1',
  localPort: 7000,
  remoteAddress: '::1',
  remotePort: 53122,
};

describe('fiveTuple', () => {
  it.each([
    { name: 'an IPv4 connection', socket: V4, expected: V4 },
    { name: 'an IPv6 connection', socket: V6, expected: V6 },
    {
      name: 'an IPv4-mapped peer, as the kernel reports it',
      socket: { ...V6, remoteAddress: '::ffff:127.0.0.1' },
      expected: { ...V6, remoteAddress: '::ffff:127.0.0.1' },
    },
  ])('reads the 5-tuple of $name', ({ socket, expected }) => {
    expect(fiveTuple(socket)).toEqual(expected);
  });

  it.each<{ name: string; socket: Record<string, unknown> }>([
    { name: 'a socket that never connected', socket: {} },
    { name: 'a socket without a peer', socket: { localAddress: '127.0.0.1', localPort: 1 } },
    { name: 'a socket without a local port', socket: { ...V4, localPort: undefined } },
    { name: 'a port of 0', socket: { ...V4, remotePort: 0 } },
    { name: 'a port above 65535', socket: { ...V4, remotePort: 65_536 } },
    { name: 'an empty address', socket: { ...V4, localAddress: '' } },
  ])('throws BASICS_ERR_CONNECTION for $name', ({ socket }) => {
    const read = (): FiveTuple => fiveTuple(socket as unknown as SocketAddresses);
    expect(read).toThrow(BasicsError);
    expect(read).toThrow(/not connected/);
    try {
      read();
    } catch (error) {
      expect((error as BasicsError).code).toBe('BASICS_ERR_CONNECTION');
    }
    expect(tryFiveTuple(socket as unknown as SocketAddresses)).toBeUndefined();
  });
});

const base = { at: 12.34, connectionId: 3, tuple: V4 } as const;

describe('formatLifecycleEvent', () => {
  it.each<{ event: LifecycleEvent; line: string }>([
    {
      event: { ...base, step: 'create', side: 'client', tuple: undefined },
      line: '+   12.3 ms  client #3        create',
    },
    {
      event: {
        ...base,
        step: 'listen',
        side: 'server',
        connectionId: 0,
        tuple: undefined,
        local: { address: '::1', family: 'IPv6', port: 7000 },
        detail: 'listen()',
      },
      line: '+   12.3 ms  server listener  listen      [::1]:7000  (listen())',
    },
    {
      event: { ...base, step: 'accept', side: 'server', tuple: V6 },
      line: '+   12.3 ms  server #3        accept      [::1]:7000 ← [::1]:53122',
    },
    {
      event: { ...base, step: 'connect', side: 'client' },
      line: '+   12.3 ms  client #3        connect     127.0.0.1:53122 → 127.0.0.1:7000',
    },
    {
      event: { ...base, step: 'send', side: 'client', bytes: 1 },
      line: '+   12.3 ms  client #3        send        1 byte out',
    },
    {
      event: { ...base, step: 'receive', side: 'server', bytes: 6 },
      line: '+   12.3 ms  server #3        receive     6 bytes in',
    },
    {
      event: { ...base, step: 'half-close', side: 'client', by: 'local' },
      line: '+   12.3 ms  client #3        half-close  sent FIN: this side sends no more',
    },
    {
      event: { ...base, step: 'half-close', side: 'client', by: 'peer' },
      line: '+   12.3 ms  client #3        half-close  got FIN: the peer sends no more',
    },
    {
      event: { ...base, step: 'close', side: 'server', clean: true, reason: 'normal' },
      line: '+   12.3 ms  server #3        close       clean, normal',
    },
    {
      event: {
        ...base,
        step: 'close',
        side: 'server',
        clean: false,
        reason: 'line-too-long',
        error: new Error('too long'),
      },
      line: '+   12.3 ms  server #3        close       with an error, line-too-long: too long',
    },
    {
      event: {
        ...base,
        step: 'error',
        side: 'client',
        error: new Error('connect ECONNREFUSED'),
        code: 'ECONNREFUSED',
      },
      line: '+   12.3 ms  client #3        error       ECONNREFUSED: connect ECONNREFUSED',
    },
  ])('shows a $event.step event on one line', ({ event, line }) => {
    expect(formatLifecycleEvent(event)).toBe(line);
  });

  it('measures time from the given origin', () => {
    const event: LifecycleEvent = { ...base, at: 1_500.26, step: 'create', side: 'client' };
    expect(formatLifecycleEvent(event, { origin: 1_000 })).toMatch(/^\+ {2}500\.3 ms /);
  });

  it('adds colour only when asked, around the same text', () => {
    const event: LifecycleEvent = { ...base, step: 'send', side: 'client', bytes: 5 };
    const plain = formatLifecycleEvent(event);
    const coloured = formatLifecycleEvent(event, { color: true });
    expect(plain).not.toContain('\u001b[');
    expect(coloured).toContain('\u001b[');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(plain);
  });

  it('escapes control characters a peer could smuggle into an error message', () => {
    const event: LifecycleEvent = {
      ...base,
      step: 'error',
      side: 'server',
      error: new Error('bad\u001b[2J\nnext line\u0000'),
      code: undefined,
    };
    const line = formatLifecycleEvent(event);
    expect(line).toContain('bad\\x1b[2J\\nnext line\\x00');
    expect(line).toContain('error: bad');
  });

  it('always renders one printable line, whatever the message (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 50 }),
        (message, detail) => {
          const event: LifecycleEvent = {
            ...base,
            step: 'close',
            side: 'client',
            clean: false,
            reason: 'error',
            error: new Error(message),
            detail,
          };
          const line = formatLifecycleEvent(event);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: checking for control characters
          expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
          expect(line.length).toBeLessThan(600);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
