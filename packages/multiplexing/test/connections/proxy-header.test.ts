// The PROXY protocol v1 header: the parser's contract (written first, every fixture fed through
// every split, as the frame decoders' tests are), then listenManagedTcp behind a "proxy" that is
// this test writing the header, as nginx's `proxy_protocol on;` does.
import net from 'node:net';
import { rejectionOf, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createConnectionManager,
  listenManagedTcp,
  type ManagedConnection,
  MultiplexingError,
  PROXY_V1_MAX_BYTES,
  type ProxyHeader,
  type ProxyHeaderParse,
  parseProxyHeaderV1,
} from '../../src/index.ts';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

/**
 * Feeds `input` as a connection delivers it, in two pieces cut at `cut`: the parser sees the
 * first piece, then both together (what a reader has accumulated).
 */
function parseSplit(input: Buffer, cut: number): ProxyHeaderParse {
  const first = parseProxyHeaderV1(input.subarray(0, cut));
  if (first.kind === 'header') return first;
  return parseProxyHeaderV1(input);
}

/** Every way `input` can arrive in two pieces, each parsed as a reader would. */
function everySplit(input: Buffer): ProxyHeaderParse[] {
  return Array.from({ length: input.length + 1 }, (_, cut) => parseSplit(input, cut));
}

const FULL_TCP6 =
  'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535';
/** The spec's worst case: UNKNOWN followed by the longest TCP6 fields. */
const LONGEST = `PROXY UNKNOWN ${FULL_TCP6}\r\n`;

describe('parseProxyHeaderV1: valid headers, through every split', () => {
  const valid: [string, ProxyHeader][] = [
    [
      'PROXY TCP4 203.0.113.7 192.0.2.1 56324 4000\r\n',
      {
        family: 'TCP4',
        source: { address: '203.0.113.7', port: 56324 },
        destination: { address: '192.0.2.1', port: 4000 },
      },
    ],
    [
      'PROXY TCP6 2001:db8::7 ::1 0 65535\r\n',
      {
        family: 'TCP6',
        source: { address: '2001:db8::7', port: 0 },
        destination: { address: '::1', port: 65535 },
      },
    ],
    ['PROXY UNKNOWN\r\n', { family: 'UNKNOWN' }],
    // After UNKNOWN the rest of the line is ignored, whatever it says.
    ['PROXY UNKNOWN ffff:: 1.2.3.4 whatever\r\n', { family: 'UNKNOWN' }],
    [LONGEST, { family: 'UNKNOWN' }],
    [
      `PROXY TCP6 ${FULL_TCP6}\r\n`,
      {
        family: 'TCP6',
        source: { address: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', port: 65535 },
        destination: { address: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', port: 65535 },
      },
    ],
  ];

  it.each(valid)('%j', (text, header) => {
    const input = Buffer.concat([bytes(text), bytes('hello\r\n')]);
    for (const [cut, parsed] of everySplit(input).entries()) {
      // Before the CRLF is complete there is nothing to say; from then on, the same header.
      if (cut < text.length && parsed.kind === 'need-more') continue;
      expect({ cut, parsed }).toEqual({
        cut,
        parsed: { kind: 'header', header, length: text.length },
      });
    }
    expect(parseProxyHeaderV1(input.subarray(0, text.length - 1))).toEqual({ kind: 'need-more' });
  });

  it('the spec’s worst case is exactly PROXY_V1_MAX_BYTES long', () => {
    expect(bytes(LONGEST).length).toBe(PROXY_V1_MAX_BYTES);
    expect(PROXY_V1_MAX_BYTES).toBe(107);
  });
});

describe('parseProxyHeaderV1: refusals, as soon as the bytes cannot be a header', () => {
  const refused: [string, string, RegExp][] = [
    ['another protocol', 'GET / HTTP/1.1\r\n', /does not start with "PROXY "/],
    ['a lower-case start', 'proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n', /does not start/],
    ['no space after PROXY', 'PROXYTCP4\r\n', /does not start/],
    ['an unknown family', 'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n', /family "UDP4"/],
    ['no family', 'PROXY \r\n', /family ""/],
    ['a field missing', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', /4 fields/],
    ['two spaces', 'PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n', /4 fields/],
    ['a trailing space', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n', /4 fields/],
    ['an IPv6 address under TCP4', 'PROXY TCP4 ::1 5.6.7.8 1 2\r\n', /"::1" is not an TCP4/],
    ['an IPv4 address under TCP6', 'PROXY TCP6 1.2.3.4 ::1 1 2\r\n', /"1.2.3.4" is not an TCP6/],
    ['an address out of range', 'PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n', /not an TCP4/],
    ['a port past 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n', /"65536" is not a port/],
    ['a leading zero', 'PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n', /"080" is not a port/],
    ['a signed port', 'PROXY TCP4 1.2.3.4 5.6.7.8 +80 2\r\n', /"\+80" is not a port/],
    ['a CR alone', 'PROXY UNKNOWN\rX\n', /CR not followed by LF/],
    ['a LF alone', 'PROXY UNKNOWN\n', /byte 0xa at offset 13/],
    ['a byte outside ASCII', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\u00e9\r\n', /byte 0xe9/],
    ['no CRLF within 107 bytes', `PROXY UNKNOWN ${'x'.repeat(200)}\r\n`, /no CRLF within 107/],
    // 108 bytes with its CRLF: one past the longest.
    ['a header one byte too long', `PROXY UNKNOWN ${FULL_TCP6}x\r\n`, /no CRLF within 107/],
  ];

  it.each(refused)('%s', (_, text, message) => {
    const input = bytes(text);
    let error: unknown;
    // Fed whole, or cut anywhere: refused with the same error once the bad byte is in.
    for (let cut = 0; cut <= input.length; cut++) {
      try {
        parseSplit(input, cut);
        error = new Error(`accepted when cut at ${cut}`);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(MultiplexingError);
      expect(error).toMatchObject({ code: 'MULTIPLEXING_ERR_PROTOCOL', message });
    }
  });

  it('asks for more while the bytes could still become a header, and never reads past it', () => {
    for (const text of ['', 'P', 'PROXY', 'PROXY ', 'PROXY TCP4 1.2.3.4', 'PROXY UNKNOWN\r']) {
      expect(parseProxyHeaderV1(bytes(text))).toEqual({ kind: 'need-more' });
    }
    // What follows the header is the client's: even bytes no header may hold.
    expect(parseProxyHeaderV1(bytes('PROXY UNKNOWN\r\n\u00ff\u0000'))).toMatchObject({
      length: 15,
    });
  });
});

/** A raw-bytes server behind "a proxy": every connection must start with a PROXY header. */
async function proxiedServer(options: { proxyHeaderTimeoutMs?: number; perAddress?: number } = {}) {
  const manager = createConnectionManager({
    maxConnectionsPerAddress: options.perAddress ?? 256,
    heartbeatIntervalMs: 0,
  });
  const accepted: ManagedConnection<Record<string, unknown>>[] = [];
  manager.on('connection', (conn) => {
    accepted.push(conn);
    conn.on('message', (chunk) => conn.send(chunk));
  });
  const listener = await listenManagedTcp({
    manager,
    proxyProtocol: true,
    ...(options.proxyHeaderTimeoutMs === undefined
      ? {}
      : { proxyHeaderTimeoutMs: options.proxyHeaderTimeoutMs }),
  });
  onTestFinished(async () => {
    await manager.shutdown({ closeTimeoutMs: 200 });
  });
  return { manager, listener, accepted, port: listener.address.port };
}

/** A client socket on 127.0.0.1 that collects what it reads, destroyed when the test ends. */
async function client(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  onTestFinished(() => {
    socket.destroy();
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }),
    'connecting',
  );
  let read = '';
  socket.on('data', (chunk: Buffer) => {
    read += chunk.toString('latin1');
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const reads = (text: string) =>
    withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          if (read.includes(text)) {
            socket.off('data', check);
            resolve();
          }
        };
        socket.on('data', check);
        check();
      }),
      `reading ${JSON.stringify(text)}`,
    );
  return { socket, closed, reads, read: () => read };
}

describe('listenManagedTcp({ proxyProtocol: true })', () => {
  it('takes the client address from the header, and hands on the bytes after it in the same chunk', async () => {
    const { accepted, port } = await proxiedServer();
    const ada = await client(port);
    ada.socket.write('PROXY TCP4 203.0.113.7 127.0.0.1 56324 4000\r\nhello');
    await ada.reads('hello');
    expect(accepted.map((c) => c.remoteAddress)).toEqual(['203.0.113.7']);
    expect(accepted[0]?.peerName).toBe('203.0.113.7:56324');
  });

  it('keeps the connection’s own address for PROXY UNKNOWN, and reads a header cut in pieces', async () => {
    const { accepted, port } = await proxiedServer();
    const ada = await client(port);
    for (const piece of ['PROX', 'Y UNKNOWN', '\r', '\n', 'hi']) ada.socket.write(piece);
    await ada.reads('hi');
    expect(accepted.map((c) => c.remoteAddress)).toEqual(['127.0.0.1']);
  });

  it('counts each client behind the proxy on its own for maxConnectionsPerAddress', async () => {
    const { accepted, port, listener } = await proxiedServer({ perAddress: 1 });
    const first = await client(port);
    const second = await client(port);
    const again = await client(port);
    first.socket.write('PROXY TCP6 2001:db8::1 ::1 1000 4000\r\nA');
    second.socket.write('PROXY TCP6 2001:db8::2 ::1 1000 4000\r\nB');
    await Promise.all([first.reads('A'), second.reads('B')]);
    // The same client again: its address is full.
    again.socket.write('PROXY TCP6 2001:db8::1 ::1 1001 4000\r\n');
    await withTimeout(again.closed, 'the refusal');
    expect(accepted.map((c) => c.remoteAddress).sort()).toEqual(['2001:db8::1', '2001:db8::2']);
    expect(listener.errors).toEqual([]);
  });

  it('drops a connection whose header is bad, or late, records why, and keeps serving', async () => {
    const { accepted, listener, port } = await proxiedServer({ proxyHeaderTimeoutMs: 200 });
    const liar = await client(port);
    liar.socket.write('GET / HTTP/1.1\r\n\r\n');
    await withTimeout(liar.closed, 'the bad header closing');
    const silent = await client(port);
    await withTimeout(silent.closed, 'the silent connection closing');
    const good = await client(port);
    good.socket.write('PROXY UNKNOWN\r\nstill here');
    await good.reads('still here');
    expect(accepted).toHaveLength(1);
    expect(listener.errors.map((e) => (e as MultiplexingError).code)).toEqual([
      'MULTIPLEXING_ERR_PROTOCOL',
      'MULTIPLEXING_ERR_TIMEOUT',
    ]);
  });

  it('drops connections still waiting for their header when the manager shuts down', async () => {
    const { manager, port } = await proxiedServer({ proxyHeaderTimeoutMs: 60_000 });
    const waiting = await client(port);
    await manager.shutdown({ closeTimeoutMs: 200 });
    await withTimeout(waiting.closed, 'the waiting connection closing');
  });

  it('refuses a proxyHeaderTimeoutMs that is not a positive integer, before listening', async () => {
    const manager = createConnectionManager();
    onTestFinished(async () => {
      await manager.shutdown();
    });
    expect(() =>
      listenManagedTcp({ manager, proxyProtocol: true, proxyHeaderTimeoutMs: 0 }),
    ).toThrow(RangeError);
    expect(
      await rejectionOf(
        (async () => listenManagedTcp({ manager, proxyProtocol: 'yes' as unknown as boolean }))(),
      ),
    ).toBeInstanceOf(TypeError);
  });
});
