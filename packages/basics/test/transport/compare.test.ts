import dgram from 'node:dgram';
import { once } from 'node:events';
import { nextEvent, pollUntil, withTimeout } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  analyzeDatagrams,
  analyzeStream,
  type BoundaryComparison,
  COMPARE_MAX_MESSAGES,
  checkDatagramSize,
  compareBoundaries,
  describeSocketType,
  formatBoundaryComparison,
  parseSocketType,
  probeDatagramSize,
  SOCKET_TYPES,
  type SocketTypeName,
  UDP_LIMITS,
} from '../../src/transport/index.ts';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const bytesOf = (texts: readonly string[]): Uint8Array[] => texts.map(enc);
const SEED = 0x50c7; // fast-check seed: failures print it, runs are repeatable
const HOSTS = ['127.0.0.1', '::1'] as const;

describe('SOCKET_TYPES', () => {
  it.each<[SocketTypeName, string, number, boolean, boolean, string | null]>([
    ['STREAM', 'SOCK_STREAM', 1, true, false, 'net'],
    ['DGRAM', 'SOCK_DGRAM', 2, false, true, 'dgram'],
    ['RAW', 'SOCK_RAW', 3, false, true, null],
    ['SEQPACKET', 'SOCK_SEQPACKET', 5, true, true, null],
  ])('describes %s as %s (%d)', (name, constant, value, reliable, boundaries, node) => {
    const info = SOCKET_TYPES[name];
    expect(info.constant).toBe(constant);
    expect(info.linuxValue).toBe(value);
    expect(info.reliable).toBe(reliable);
    expect(info.keepsBoundaries).toBe(boundaries);
    expect(info.nodeModule).toBe(node);
    expect(info.manPages.length).toBeGreaterThan(0);
  });

  it('marks the types Node cannot open with a reason', () => {
    expect(SOCKET_TYPES.RAW.nodeNote).toMatch(/CAP_NET_RAW/);
    expect(SOCKET_TYPES.SEQPACKET.nodeNote).toMatch(/AF_UNIX/);
  });
});

describe('parseSocketType', () => {
  it.each([
    ['STREAM', 'STREAM'],
    ['sock_stream', 'STREAM'],
    [' Dgram ', 'DGRAM'],
    ['SOCK_RAW', 'RAW'],
    ['seqpacket', 'SEQPACKET'],
  ])('reads %j as %s', (input, expected) => {
    expect(parseSocketType(input)).toBe(expected);
  });

  it.each(['', 'SOCK_', 'SOCK_RDM', 'tcp', 'STREAM\u0000', 'constructor', 'x'.repeat(100_000)])(
    'rejects %j with a RangeError',
    (input) => {
      expect(() => parseSocketType(input)).toThrow(RangeError);
    },
  );

  it('rejects a non-string with a TypeError', () => {
    expect(() => parseSocketType(42 as unknown as string)).toThrow(TypeError);
  });

  it('quotes and truncates hostile input in its message', () => {
    expect(() => parseSocketType(`${'A'.repeat(5_000)}\n`)).toThrow(/"A{100}…"/);
  });

  it('throws only RangeError for any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (input) => {
        try {
          parseSocketType(input);
        } catch (err) {
          return err instanceof RangeError;
        }
        return true;
      }),
      { seed: SEED },
    );
  });
});

describe('describeSocketType', () => {
  it.each<[string, RegExp]>([
    ['STREAM', /^SOCK_STREAM: TCP.*no message boundaries.*node:net/],
    ['DGRAM', /^SOCK_DGRAM: UDP.*Unreliable.*keeps message boundaries.*node:dgram/],
    ['raw', /^SOCK_RAW:.*In Node\.js: none.*CAP_NET_RAW/],
    ['SOCK_SEQPACKET', /^SOCK_SEQPACKET:.*Reliable, ordered, keeps message boundaries.*unix\(7\)/],
  ])('describes %s', (type, pattern) => {
    expect(describeSocketType(type)).toMatch(pattern);
  });
});

describe('checkDatagramSize', () => {
  it.each<[number, 'IPv4' | 'IPv6', boolean, boolean, number]>([
    [0, 'IPv4', true, true, 0],
    [1_472, 'IPv4', true, true, 0],
    [1_473, 'IPv4', true, false, 0],
    [65_507, 'IPv4', true, false, 0],
    [65_508, 'IPv4', false, false, 1],
    [1_452, 'IPv6', true, true, 0],
    [1_453, 'IPv6', true, false, 0],
    [65_527, 'IPv6', true, false, 0],
    [65_528, 'IPv6', false, false, 1],
    [1_000_000, 'IPv6', false, false, 1_000_000 - 65_527],
  ])('judges %d bytes on %s', (size, family, fits, fitsFrame, overBy) => {
    const check = checkDatagramSize(size, family);
    expect(check).toMatchObject({ fits, fitsEthernetFrame: fitsFrame, overBy });
    expect(check.limit).toBe(UDP_LIMITS[family].maxPayload);
  });

  it('derives each limit from 65,535 and the headers', () => {
    expect(UDP_LIMITS.IPv4.maxPayload).toBe(65_535 - UDP_LIMITS.IPv4.ipHeader - 8);
    expect(UDP_LIMITS.IPv6.maxPayload).toBe(65_535 - 8);
    expect(UDP_LIMITS.IPv4.ethernetPayload).toBe(1_500 - 20 - 8);
    expect(UDP_LIMITS.IPv6.ethernetPayload).toBe(1_500 - 40 - 8);
  });

  it.each([
    [-1, RangeError],
    [1.5, TypeError],
    [Number.NaN, TypeError],
    [Number.POSITIVE_INFINITY, RangeError],
    [2 ** 60, RangeError],
  ])('rejects the size %d', (size, error) => {
    expect(() => checkDatagramSize(size)).toThrow(error);
  });

  it.each(['IPv5', 'constructor', 'toString'])('rejects the family %j', (family) => {
    expect(() => checkDatagramSize(10, family as 'IPv4')).toThrow(RangeError);
  });
});

describe('analyzeStream', () => {
  it.each<[string, string[], string[], Partial<ReturnType<typeof analyzeStream>>]>([
    [
      'one chunk per write',
      ['ab', 'cd'],
      ['ab', 'cd'],
      { concatenationEqual: true, boundariesKept: true, coalesced: false, split: false },
    ],
    [
      'writes merged into one chunk',
      ['ab', 'cd', 'ef'],
      ['abcdef'],
      { concatenationEqual: true, boundariesKept: false, coalesced: true, split: false },
    ],
    [
      'a write split over chunks',
      ['abcdef'],
      ['abc', 'def'],
      { concatenationEqual: true, boundariesKept: false, coalesced: false, split: true },
    ],
    [
      'merged and split at once',
      ['abc', 'def'],
      ['ab', 'cdef'],
      { concatenationEqual: true, boundariesKept: false, coalesced: true, split: true },
    ],
    [
      'empty writes that put nothing on the wire',
      ['', 'ab', '', 'cd'],
      ['ab', 'cd'],
      { concatenationEqual: true, boundariesKept: true, coalesced: false },
    ],
    [
      'bytes that differ',
      ['ab', 'cd'],
      ['ab', 'cx'],
      { concatenationEqual: false, boundariesKept: false },
    ],
    ['bytes missing', ['ab', 'cd'], ['ab'], { concatenationEqual: false, bytesReceived: 2 }],
    [
      'nothing at all',
      [],
      [],
      { concatenationEqual: true, boundariesKept: true, coalesced: false, split: false },
    ],
  ])('reports %s', (_, writes, chunks, expected) => {
    expect(analyzeStream(bytesOf(writes), bytesOf(chunks))).toMatchObject(expected);
  });

  const writesArb = fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 12 });

  it('finds the concatenation equal however the bytes are cut', () => {
    fc.assert(
      fc.property(writesArb, fc.array(fc.nat(), { maxLength: 8 }), (writes, cuts) => {
        const all = Buffer.concat(writes);
        const offsets = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...offsets, all.length]
          .slice(0, -1)
          .map((start, i, starts) => all.subarray(start, starts[i + 1] ?? all.length));
        const result = analyzeStream(writes, chunks);
        return result.concatenationEqual && result.bytesReceived === all.length;
      }),
      { seed: SEED },
    );
  });

  it('keeps boundaries when the chunks are the writes', () => {
    fc.assert(
      fc.property(writesArb, (writes) => {
        const r = analyzeStream(writes, writes);
        return r.boundariesKept && !r.coalesced && !r.split;
      }),
      { seed: SEED },
    );
  });

  it('sees coalescing when two or more non-empty writes arrive as one chunk', () => {
    fc.assert(
      fc.property(writesArb, (writes) => {
        const nonEmpty = writes.filter((w) => w.length > 0).length;
        const r = analyzeStream(writes, [Buffer.concat(writes)]);
        return r.coalesced === nonEmpty >= 2 && r.boundariesKept === nonEmpty <= 1;
      }),
      { seed: SEED },
    );
  });
});

describe('analyzeDatagrams', () => {
  it.each<[string, string[], string[], Partial<ReturnType<typeof analyzeDatagrams>>]>([
    ['all delivered', ['a', 'b'], ['a', 'b'], { delivered: 2, lost: 0, inOrder: true }],
    ['one lost', ['a', 'b', 'c'], ['a', 'c'], { delivered: 2, lost: 1, boundariesKept: true }],
    ['reordered', ['a', 'b'], ['b', 'a'], { delivered: 2, inOrder: false, boundariesKept: true }],
    ['duplicated', ['a'], ['a', 'a'], { delivered: 1, unexpected: 1, boundariesKept: false }],
    ['equal messages', ['x', 'x'], ['x', 'x'], { delivered: 2, lost: 0, inOrder: true }],
    ['merged (never UDP)', ['a', 'b'], ['ab'], { delivered: 0, lost: 2, boundariesKept: false }],
    ['an empty datagram', ['', 'a'], ['', 'a'], { delivered: 2, boundariesKept: true }],
  ])('reports %s', (_, sent, received, expected) => {
    expect(analyzeDatagrams(bytesOf(sent), bytesOf(received))).toMatchObject(expected);
  });

  it('counts exactly the dropped ones as lost, in any order of arrival', () => {
    const arb = fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 15 }).chain((sent) =>
      fc.tuple(
        fc.constant(sent),
        fc.shuffledSubarray(
          sent.map((_, i) => i),
          { minLength: 0, maxLength: sent.length },
        ),
      ),
    );
    fc.assert(
      fc.property(arb, ([sent, kept]) => {
        const r = analyzeDatagrams(
          sent,
          kept.map((i) => sent[i] ?? new Uint8Array()),
        );
        return r.lost === sent.length - kept.length && r.unexpected === 0 && r.boundariesKept;
      }),
      { seed: SEED },
    );
  });
});

describe('formatBoundaryComparison', () => {
  const result: BoundaryComparison = {
    host: '127.0.0.1',
    messages: ['ab', 'cd', 'ef'],
    tcp: {
      ...analyzeStream(bytesOf(['ab', 'cd', 'ef']), bytesOf(['abcdef'])),
      corked: true,
      received: bytesOf(['abcdef']),
    },
    udp: {
      ...analyzeDatagrams(bytesOf(['ab', 'cd', 'ef']), bytesOf(['ab', 'cd', 'ef'])),
      burst: false,
      datagrams: bytesOf(['ab', 'cd', 'ef']),
      timedOut: false,
    },
  };

  it('shows each chunk and datagram, then what they show', () => {
    const text = formatBoundaryComparison(result);
    expect(text).toContain(`3 writes arrived as 1 'data' chunk`);
    expect(text).toContain('chunk 1 (6 bytes): "abcdef"');
    expect(text).toContain('boundaries kept: no (writes were merged)');
    expect(text).toContain('datagram 3 (2 bytes): "ef"');
    expect(text).toContain('delivered whole 3, lost 0, unexpected 0; in order: yes');
  });

  it('cuts long lists to maxRows', () => {
    expect(formatBoundaryComparison(result, 1)).toContain('… 2 more');
  });
});

describe.each(HOSTS)('compareBoundaries on %s', (host) => {
  const messages = Array.from({ length: 50 }, (_, i) => `message ${i};`);

  it('delivers the TCP bytes in order, whatever the chunks', async () => {
    const { tcp } = await compareBoundaries({ messages, host });
    const joined = Buffer.concat(tcp.received).toString('utf8');
    expect(joined, 'the concatenated TCP chunks (the only thing TCP guarantees)').toBe(
      messages.join(''),
    );
    expect(tcp.concatenationEqual).toBe(true);
    expect(tcp.bytesReceived).toBe(tcp.bytesWritten);
  });

  it('merges corked TCP writes into fewer chunks', async () => {
    // Corked writes leave in a single writev(); on loopback those 540 bytes form one segment,
    // so the reader gets them in one read. That is why boundaries cannot be relied on.
    const { tcp } = await compareBoundaries({ messages, host, cork: true });
    expect(tcp.chunks, `chunk sizes ${tcp.received.map((c) => c.length).join(',')}`).toBeLessThan(
      tcp.writes,
    );
    expect(tcp.coalesced).toBe(true);
    expect(tcp.boundariesKept).toBe(false);
  });

  it('keeps every UDP datagram whole: one message event per send', async () => {
    const { udp } = await compareBoundaries({ messages, host });
    expect(udp.timedOut, 'the receiver confirmed every batch within the time bound').toBe(false);
    expect(udp.datagrams.length, 'one message event per send').toBe(messages.length);
    expect(udp.datagrams.map((d) => Buffer.from(d).toString('utf8'))).toEqual(messages);
    expect(udp).toMatchObject({ lost: 0, unexpected: 0, boundariesKept: true });
  });

  it('sends an empty UDP datagram but no TCP bytes for an empty message', async () => {
    const result = await compareBoundaries({ messages: ['', 'x', ''], host });
    expect(result.udp.datagrams.map((d) => d.length)).toEqual([0, 1, 0]);
    expect(result.tcp.bytesReceived).toBe(1);
  });

  it('splits large TCP writes across reads but keeps large datagrams whole', async () => {
    const big = Array.from({ length: 8 }, (_, i) => String.fromCharCode(97 + i).repeat(60_000));
    const { tcp, udp } = await compareBoundaries({ messages: big, host });
    expect(tcp.concatenationEqual).toBe(true);
    expect(tcp.chunks, 'a TCP read returns at most 64 KiB in Node').toBeGreaterThan(7);
    expect(udp.datagrams.map((d) => d.length)).toEqual(big.map(() => 60_000));
  });

  it('accounts for every datagram of an unpaced burst as delivered or lost', async () => {
    const burst = Array.from({ length: 600 }, (_, i) => `burst ${i}`);
    const { udp } = await compareBoundaries({ messages: burst, host, udpBurst: true });
    // Loss is possible here, even on loopback: the receive buffer may overflow.
    expect(udp.delivered + udp.lost).toBe(burst.length);
    expect(udp.unexpected, 'every datagram that arrived is one whole message').toBe(0);
  });

  it('leaves no socket open', async () => {
    const count = (): number =>
      process
        .getActiveResourcesInfo()
        .filter((r) => /^(TCPSocketWrap|TCPServerWrap|UDPWrap)$/.test(r)).length;
    const before = count();
    await compareBoundaries({ messages: ['a', 'b'], host });
    await probeDatagramSize(10, { host });
    await pollUntil(() => count() <= before, 'sockets opened by the run to close');
  });
});

describe.each([
  ['127.0.0.1', UDP_LIMITS.IPv4.maxPayload],
  ['::1', UDP_LIMITS.IPv6.maxPayload],
] as const)('probeDatagramSize on %s', (host, limit) => {
  it(`delivers a ${limit}-byte datagram whole`, async () => {
    const probe = await probeDatagramSize(limit, { host });
    expect(probe).toMatchObject({ outcome: 'delivered', limit, size: limit });
  });

  it(`refuses ${limit + 1} bytes with EMSGSIZE`, async () => {
    const probe = await probeDatagramSize(limit + 1, { host });
    expect(probe).toMatchObject({ outcome: 'rejected', code: 'EMSGSIZE', limit });
    expect(probe.explanation).toMatch(/EMSGSIZE/);
  });
});

describe('a UDP send over the limit, without the library', () => {
  it('fails with EMSGSIZE on 127.0.0.1', async () => {
    const receiver = dgram.createSocket('udp4');
    onTestFinished(() => {
      receiver.close();
    });
    receiver.bind(0, '127.0.0.1');
    await nextEvent(receiver, 'listening');
    const sender = dgram.createSocket('udp4');
    onTestFinished(() => {
      sender.close();
    });
    const { port } = receiver.address();
    const error = await withTimeout(
      new Promise<Error | null>((resolve) =>
        sender.send(Buffer.alloc(65_508), port, '127.0.0.1', (err) => resolve(err)),
      ),
      'the oversized send to complete',
    );
    expect(error, 'send() of 65,508 bytes').toMatchObject({ code: 'EMSGSIZE' });
    const arrived = once(receiver, 'message');
    sender.send(Buffer.alloc(65_507), port, '127.0.0.1');
    const [message] = (await withTimeout(arrived, 'the largest datagram')) as [Buffer];
    expect(message.length).toBe(65_507);
  });
});

describe('compareBoundaries options', () => {
  it.each<[string, unknown, ErrorConstructor]>([
    ['no options', undefined, TypeError],
    ['messages that are not an array', { messages: 'abc' }, TypeError],
    ['a message that is not a string', { messages: ['a', 7] }, TypeError],
    ['no messages', { messages: [] }, RangeError],
    [
      'too many messages',
      { messages: Array.from({ length: COMPARE_MAX_MESSAGES + 1 }, () => 'x') },
      RangeError,
    ],
    ['a message too big for a datagram', { messages: ['x'.repeat(65_508)] }, RangeError],
    ['too many bytes in all', { messages: Array(20).fill('x'.repeat(60_000)) }, RangeError],
    ['a host that is not loopback', { messages: ['a'], host: '192.0.2.1' }, RangeError],
    ['localhost by name', { messages: ['a'], host: 'localhost' }, RangeError],
    ['a timeout of zero', { messages: ['a'], timeoutMs: 0 }, RangeError],
    ['a timeout that is not a number', { messages: ['a'], timeoutMs: '5' }, TypeError],
    ['cork that is not a boolean', { messages: ['a'], cork: 'yes' }, TypeError],
  ])('throws synchronously for %s', (_, options, kind) => {
    expect(() => compareBoundaries(options as never)).toThrow(kind);
  });

  it.each([
    [-1, RangeError],
    [1.5, TypeError],
    [1_048_577, RangeError],
    [Number.NaN, TypeError],
  ])('probeDatagramSize rejects the size %d', (n, error) => {
    expect(() => probeDatagramSize(n)).toThrow(error);
  });

  it('probeDatagramSize rejects a host that is not loopback', () => {
    expect(() => probeDatagramSize(1, { host: '10.0.0.1' as never })).toThrow(/loopback/);
  });
});
