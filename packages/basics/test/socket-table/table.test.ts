import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  anyText,
  closeServer,
  type LoopbackHost,
  listenOnFreePort,
  nextEvent,
  pollUntil,
  thrownBy,
} from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BasicsError, ParseError } from '../../src/errors.ts';
import {
  decodeProcNetAddress,
  filterSockets,
  formatSocketTable,
  normalizeSocketState,
  type ProcNetWarning,
  parseProcNet,
  readSocketTable,
  type SocketProtocol,
  type SocketTableEntry,
  ssStateName,
} from '../../src/socket-table/index.ts';

// Real lines captured from /proc/net on this machine (Linux 6.x, x86-64: little-endian),
// header and trailing spaces as the kernel printed them.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 0100007F:075B 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 7196 1 0000000044d64a60 100 0 0 10 0                      
   6: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1597 1 00000000402b1fe5 100 0 0 10 0                      
  10: 0100007F:1111 0100007F:B964 01 00000000:00000000 00:00000000 00000000   106        0 6912 1 00000000aa6a37f1 20 4 31 11 -1                     
  14: 0100007F:EBAC 0100007F:9805 06 00000000:00000000 03:0000175B 00000000     0        0 0 3 00000000d4c63f70                                      
  16: 0100007F:B2D0 0100007F:B473 01 0039B600:00000000 04:0000000D 00000000     0        0 36196 2 000000001cbceb08 20 0 0 16 -1                     
  17: 0100007F:B2D4 0100007F:B473 05 00000000:00000000 00:00000000 00000000     0        0 36198 1 00000000b4be79a0 20 0 0 11 -1                     
  18: 0100007F:B473 0100007F:B2D4 08 00000000:00000001 00:00000000 00000000     0        0 36199 1 00000000a671b020 20 4 0 10 -1                     
  25: 0100007F:B473 0100007F:B2C6 01 00000000:00000005 00:00000000 00000000     0        0 35693 1 00000000ebcc0e7a 20 4 30 10 -1                    
`;

const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1111 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 6128 1 0000000054279699 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:B6F1 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20169 1 00000000ffc0b32f 100 0 0 10 0
   4: 0000000000000000FFFF00000100007F:B6F1 0000000000000000FFFF00000100007F:8B4A 01 00000000:00000000 00:00000000 00000000     0        0 20175 1 00000000394a0262 20 0 0 10 -1
   4: 00000000000000000000000001000000:8DE5 00000000000000000000000001000000:D772 01 00000000:0000000A 00:00000000 00000000     0        0 35696 1 00000000361251ad 20 4 30 10 -1
`;

const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
 2309: 0100007F:80AC 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 20178 2 00000000289c2b61 0         
10455: 0100007F:A07E 0100007F:80AC 01 00000000:00000000 00:00000000 00000000     0        0 20179 2 00000000d6ce2263 0         
`;

const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 5682: 00000000000000000000000001000000:8DD9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 20180 2 000000007876273b 0
`;

const FIXTURES: Record<SocketProtocol, string> = { tcp: TCP, tcp6: TCP6, udp: UDP, udp6: UDP6 };

const summary = (e: SocketTableEntry) =>
  `${e.protocol} ${e.state} ${e.localAddress}:${e.localPort} ${e.remoteAddress}:${e.remotePort} rx=${e.rxQueue} tx=${e.txQueue} uid=${e.uid} inode=${e.inode} timer=${e.timer.kind}/${e.timer.ticks} rtx=${e.retransmits}`;

describe('parseProcNet on captured tables', () => {
  it('reads /proc/net/tcp: listeners, connections, TIME-WAIT, queues and timers', () => {
    expect(parseProcNet(TCP, 'tcp').map(summary)).toEqual([
      'tcp LISTEN 127.0.0.1:1883 0.0.0.0:0 rx=0 tx=0 uid=105 inode=7196 timer=none/0 rtx=0',
      'tcp LISTEN 0.0.0.0:2024 0.0.0.0:0 rx=0 tx=0 uid=0 inode=1597 timer=none/0 rtx=0',
      'tcp ESTABLISHED 127.0.0.1:4369 127.0.0.1:47460 rx=0 tx=0 uid=106 inode=6912 timer=none/0 rtx=0',
      // TIME-WAIT: no owner (uid 0, inode 0), the time-wait timer pending (0x175B ticks ≈ 60 s).
      'tcp TIME-WAIT 127.0.0.1:60332 127.0.0.1:38917 rx=0 tx=0 uid=0 inode=0 timer=time-wait/5979 rtx=0',
      // A sender facing a full receive window: 3.7 MB unacknowledged, zero-window probe pending.
      'tcp ESTABLISHED 127.0.0.1:45776 127.0.0.1:46195 rx=0 tx=3782144 uid=0 inode=36196 timer=zero-window-probe/13 rtx=0',
      'tcp FIN-WAIT-2 127.0.0.1:45780 127.0.0.1:46195 rx=0 tx=0 uid=0 inode=36198 timer=none/0 rtx=0',
      // CLOSE-WAIT: the peer's FIN is counted in the receive queue as one sequence number.
      'tcp CLOSE-WAIT 127.0.0.1:46195 127.0.0.1:45780 rx=1 tx=0 uid=0 inode=36199 timer=none/0 rtx=0',
      'tcp ESTABLISHED 127.0.0.1:46195 127.0.0.1:45766 rx=5 tx=0 uid=0 inode=35693 timer=none/0 rtx=0',
    ]);
  });

  it('reads /proc/net/tcp6, including IPv4-mapped addresses shown as ss shows them', () => {
    expect(parseProcNet(TCP6, 'tcp6').map(summary)).toEqual([
      'tcp6 LISTEN ::1:4369 :::0 rx=0 tx=0 uid=106 inode=6128 timer=none/0 rtx=0',
      'tcp6 LISTEN ::ffff:127.0.0.1:46833 :::0 rx=0 tx=0 uid=0 inode=20169 timer=none/0 rtx=0',
      'tcp6 ESTABLISHED ::ffff:127.0.0.1:46833 ::ffff:127.0.0.1:35658 rx=0 tx=0 uid=0 inode=20175 timer=none/0 rtx=0',
      'tcp6 ESTABLISHED ::1:36325 ::1:55154 rx=10 tx=0 uid=0 inode=35696 timer=none/0 rtx=0',
    ]);
  });

  it('reads /proc/net/udp and udp6 with the states ss shows (UNCONN, ESTAB)', () => {
    expect(parseProcNet(UDP, 'udp').map(summary)).toEqual([
      'udp UNCONN 127.0.0.1:32940 0.0.0.0:0 rx=0 tx=0 uid=0 inode=20178 timer=none/0 rtx=0',
      'udp ESTAB 127.0.0.1:41086 127.0.0.1:32940 rx=0 tx=0 uid=0 inode=20179 timer=none/0 rtx=0',
    ]);
    expect(parseProcNet(UDP6, 'udp6').map(summary)).toEqual([
      'udp6 UNCONN ::1:36313 :::0 rx=0 tx=0 uid=0 inode=20180 timer=none/0 rtx=0',
    ]);
  });

  it('reads text without its header, with CRLF line ends, or empty', () => {
    const body = TCP.split('\n').slice(1).join('\r\n');
    expect(parseProcNet(body, 'tcp')).toEqual(parseProcNet(TCP, 'tcp'));
    expect(parseProcNet('', 'tcp')).toEqual([]);
    expect(parseProcNet(TCP.split('\n')[0] ?? '', 'tcp')).toEqual([]);
  });

  it('reads a big-endian machine’s table when told its byte order', () => {
    const line =
      '   0: 7F000001:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242';
    expect(parseProcNet(line, 'tcp', { byteOrder: 'BE' })[0]?.localAddress).toBe('127.0.0.1');
    const v6 =
      '   0: 00000000000000000000000000000001:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1';
    expect(parseProcNet(v6, 'tcp6', { byteOrder: 'BE' })[0]?.localAddress).toBe('::1');
  });
});

describe('decodeProcNetAddress', () => {
  it.each([
    ['0100007F', '127.0.0.1'],
    ['00000000', '0.0.0.0'],
    ['FFFFFFFF', '255.255.255.255'],
    ['0101A8C0', '192.168.1.1'],
    ['00000000000000000000000001000000', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['0000000000000000FFFF00000100007F', '::ffff:127.0.0.1'],
    // Synthetic (RFC 5952 cases): 2001:db8::1, the longest zero run, the first of equal runs,
    // no :: for a single zero group, lower case.
    ['B80D0120000000000000000001000000', '2001:db8::1'],
    ['B80D0120000000000100000000000000', '2001:db8::1:0:0'],
    ['B80D0120000000000000010001000000', '2001:db8::1:0:0:1'],
    ['B80D0120010000000100010001000100', '2001:db8:0:1:1:1:1:1'],
    ['000080FE00000000FFFFFF020100FE01', 'fe80::2ff:ffff:1fe:1'],
    ['0000FFFF000000000000000001000000', 'ffff::1'],
  ])('decodes %s as %s', (hex, text) => {
    expect(decodeProcNetAddress(hex)).toBe(text);
    expect(decodeProcNetAddress(hex.toLowerCase())).toBe(text);
  });

  it.each([
    '',
    '0100007',
    '0100007G',
    '0000000000000000',
    '1'.repeat(33),
    ' 0100007F',
    '0100007F\0',
  ])('rejects %j with BASICS_ERR_PARSE', (hex) => {
    const err = thrownBy(() => decodeProcNetAddress(hex));
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).code).toBe('BASICS_ERR_PARSE');
  });

  it('prints every IPv6 address in RFC 5952 form, as the WHATWG URL serializer does (property)', () => {
    const word = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(word, { minLength: 8, maxLength: 8 }), (words) => {
        // /proc prints each 32-bit word in host (little-endian) order.
        const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
        const hex = [0, 4, 8, 12]
          .map((at) =>
            bytes
              .slice(at, at + 4)
              .reverse()
              .map((b) => b.toString(16).padStart(2, '0'))
              .join(''),
          )
          .join('');
        const text = decodeProcNetAddress(hex);
        expect(net.isIPv6(text), text).toBe(true);
        const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
        if (mapped) {
          expect(text).toBe(`::ffff:${bytes.slice(12).join('.')}`);
        } else {
          const full = words.map((w) => w.toString(16)).join(':');
          expect(`[${text}]`).toBe(new URL(`http://[${full}]/`).hostname);
        }
      }),
      { seed: 5952, numRuns: 500 },
    );
  });
});

describe('parseProcNet on malformed and hostile text', () => {
  const good = TCP.split('\n')[1] ?? '';
  it.each([
    ['a missing column', good.replace(/ 7196 .*/, ''), 'inode'],
    ['a short address', good.replace('0100007F:075B', '0100007:075B'), 'local_address'],
    ['a v6 address in the v4 table', TCP6.split('\n')[1] ?? '', 'local_address'],
    ['a non-hex state', good.replace(' 0A ', ' ZZ '), 'st'],
    ['a state Linux does not use', good.replace(' 0A ', ' 0F '), 'Linux TCP state'],
    ['garbage', 'hello world', 'sl'],
    ['a NUL byte', good.replace('0100007F', '01\u000007F'), 'local_address'],
    ['a huge uid', good.replace('   105 ', ' 9999999999999 '), 'uid'],
    ['an absurdly long line', `${good}${' 0'.repeat(5_000)}`, 'characters long'],
  ])('rejects %s, naming the line and the column', (_, line, column) => {
    const err = thrownBy(() => parseProcNet(`${TCP.split('\n')[0]}\n${line}\n`, 'tcp'));
    expect(err).toBeInstanceOf(ParseError);
    const typed = err as ParseError;
    expect(typed.code).toBe('BASICS_ERR_PARSE');
    expect(typed.line).toBe(2);
    expect(typed.message).toContain('/proc/net/tcp line 2');
    expect(typed.message).toContain(column);
    expect(typed.message.length).toBeLessThan(600);
  });

  it('rejects a UDP state other than 01 and 07', () => {
    const line = (UDP.split('\n')[1] ?? '').replace(' 07 ', ' 0A ');
    expect(thrownBy(() => parseProcNet(line, 'udp'))).toBeInstanceOf(ParseError);
  });

  it('skips malformed lines and reports each one when asked to', () => {
    const lines = TCP.split('\n');
    lines.splice(3, 0, 'garbage here');
    lines.splice(5, 0, '  99: 0100007F:ZZZZ');
    const warnings: ProcNetWarning[] = [];
    const entries = parseProcNet(lines.join('\n'), 'tcp', {
      malformed: 'skip',
      onWarning: (warning) => warnings.push(warning),
    });
    expect(entries).toEqual(parseProcNet(TCP, 'tcp'));
    expect(warnings.map((w) => w.line)).toEqual([4, 6]);
    expect(warnings.every((w) => w.error.code === 'BASICS_ERR_PARSE')).toBe(true);
  });

  it('rejects bad arguments with TypeError', () => {
    expect(thrownBy(() => parseProcNet(42 as unknown as string, 'tcp'))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => parseProcNet('', 'sctp' as SocketProtocol))).toBeInstanceOf(TypeError);
    expect(
      thrownBy(() => parseProcNet('', 'tcp', { malformed: 'ignore' as 'skip' })),
    ).toBeInstanceOf(TypeError);
    expect(thrownBy(() => parseProcNet('', 'tcp', { byteOrder: 'PDP' as 'LE' }))).toBeInstanceOf(
      TypeError,
    );
  });

  const protocol = fc.constantFrom<SocketProtocol>('tcp', 'tcp6', 'udp', 'udp6');
  const outcome = (text: string, p: SocketProtocol, malformed: 'throw' | 'skip'): boolean => {
    try {
      const entries = parseProcNet(text, p, { malformed });
      return entries.every((e) => Number.isInteger(e.localPort) && e.localPort <= 65_535);
    } catch (err) {
      return malformed === 'throw' && err instanceof ParseError && err.code === 'BASICS_ERR_PARSE';
    }
  };

  /** Any byte (as Latin-1, how a stray byte in /proc reads), or any code point. */
  const hostileText = fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    anyText(400),
  );

  it('never crashes on random text: entries or a ParseError (property)', () => {
    fc.assert(
      fc.property(hostileText, protocol, (text, p) => {
        expect(outcome(text, p, 'throw')).toBe(true);
        expect(outcome(text, p, 'skip')).toBe(true);
      }),
      { seed: 20_250, numRuns: 300 },
    );
  });

  it('never crashes on mutated real tables: entries or a ParseError (property)', () => {
    const edit = fc.record({
      at: fc.nat(),
      text: fc.oneof(
        fc.constantFrom(' ', ':', '\n', '\0', 'F', '-', '99999999999999999999', ''),
        fc.string({ maxLength: 8 }),
      ),
      cut: fc.nat({ max: 12 }),
    });
    fc.assert(
      fc.property(protocol, fc.array(edit, { maxLength: 6 }), (p, edits) => {
        let text = FIXTURES[p];
        for (const { at, text: insert, cut } of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert + text.slice(i + cut);
        }
        expect(outcome(text, p, 'throw')).toBe(true);
        expect(outcome(text, p, 'skip')).toBe(true);
      }),
      { seed: 1337, numRuns: 1_000 },
    );
  });
});

describe('formatSocketTable', () => {
  const entries = [
    ...parseProcNet(TCP, 'tcp').slice(0, 4),
    ...parseProcNet(TCP6, 'tcp6').slice(1, 3),
  ];

  it('prints ss-like columns, brackets IPv6 and shows no peer port as *', () => {
    expect(formatSocketTable([...entries, ...parseProcNet(UDP, 'udp')]).split('\n')).toEqual([
      'Netid State       Recv-Q Send-Q Local Address:Port       Peer Address:Port',
      'tcp   LISTEN      0      0      127.0.0.1:1883           0.0.0.0:*',
      'tcp   LISTEN      0      0      0.0.0.0:2024             0.0.0.0:*',
      'tcp   ESTABLISHED 0      0      127.0.0.1:4369           127.0.0.1:47460',
      'tcp   TIME-WAIT   0      0      127.0.0.1:60332          127.0.0.1:38917',
      'tcp   LISTEN      0      0      [::ffff:127.0.0.1]:46833 [::]:*',
      'tcp   ESTABLISHED 0      0      [::ffff:127.0.0.1]:46833 [::ffff:127.0.0.1]:35658',
      'udp   UNCONN      0      0      127.0.0.1:32940          0.0.0.0:*',
      'udp   ESTAB       0      0      127.0.0.1:41086          127.0.0.1:32940',
    ]);
  });

  it('spells states the ss way when asked', () => {
    const lines = formatSocketTable(entries, { stateNames: 'ss' }).split('\n');
    expect(lines[3]).toMatch(/^tcp {3}ESTAB {5}0/);
    expect(lines[4]).toContain('TIME-WAIT');
  });

  it('prints only the header for no entries', () => {
    expect(formatSocketTable([])).toBe(
      'Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port',
    );
  });

  it('rejects an unknown stateNames option', () => {
    expect(thrownBy(() => formatSocketTable([], { stateNames: 'bsd' as 'ss' }))).toBeInstanceOf(
      TypeError,
    );
  });
});

describe('filterSockets, normalizeSocketState and ssStateName', () => {
  const all = Object.entries(FIXTURES).flatMap(([p, text]) =>
    parseProcNet(text, p as SocketProtocol),
  );

  it('keeps sockets by local or remote port', () => {
    expect(filterSockets(all, { port: 46195 }).map((e) => e.state)).toEqual([
      'ESTABLISHED',
      'FIN-WAIT-2',
      'CLOSE-WAIT',
      'ESTABLISHED',
    ]);
  });

  it('keeps sockets by state, in any spelling, and by protocol', () => {
    expect(filterSockets(all, { state: 'LISTEN' })).toHaveLength(4);
    expect(filterSockets(all, { state: 'time_wait' })).toHaveLength(1);
    expect(filterSockets(all, { state: ['LISTEN'], protocol: 'tcp6' })).toHaveLength(2);
    expect(filterSockets(all, { protocol: ['udp', 'udp6'] }).map((e) => e.state)).toEqual([
      'UNCONN',
      'ESTAB',
      'UNCONN',
    ]);
    expect(filterSockets(all, { port: 47460, state: 'LISTEN' })).toEqual([]);
    // Like ss, ESTAB keeps established TCP and connected UDP sockets.
    expect(filterSockets(all, { state: 'ESTAB' }).map((e) => `${e.protocol} ${e.state}`)).toEqual([
      'tcp ESTABLISHED',
      'tcp ESTABLISHED',
      'tcp ESTABLISHED',
      'tcp6 ESTABLISHED',
      'tcp6 ESTABLISHED',
      'udp ESTAB',
    ]);
    expect(filterSockets(all)).toEqual(all);
  });

  it.each([
    [{ port: 65_536 }, RangeError],
    [{ port: -1 }, RangeError],
    [{ port: 1.5 }, TypeError],
    [{ state: 'OPEN' }, RangeError],
    [{ protocol: 'sctp' as SocketProtocol }, TypeError],
  ])('rejects the filter %j', (filter, type) => {
    expect(thrownBy(() => filterSockets(all, filter))).toBeInstanceOf(type);
  });

  it.each([
    ['ESTAB', 'ESTAB'],
    ['established', 'ESTABLISHED'],
    ['SYN-RECV', 'SYN-RECEIVED'],
    ['SYN_RECV', 'SYN-RECEIVED'],
    ['FIN_WAIT1', 'FIN-WAIT-1'],
    ['FIN-WAIT-2', 'FIN-WAIT-2'],
    ['TIME_WAIT', 'TIME-WAIT'],
    ['CLOSE_WAIT', 'CLOSE-WAIT'],
    ['LAST_ACK', 'LAST-ACK'],
    ['CLOSE', 'CLOSED'],
    ['LISTENING', 'LISTEN'],
    [' listen ', 'LISTEN'],
    ['UNCONN', 'UNCONN'],
  ])('normalizes %s to %s', (name, state) => {
    expect(normalizeSocketState(name)).toBe(state);
  });

  it.each([
    ['ESTAB', 'tcp', 'ESTABLISHED'],
    ['ESTAB', 'tcp6', 'ESTABLISHED'],
    ['UNCONN', 'tcp', 'CLOSED'],
    ['ESTABLISHED', 'udp', 'ESTAB'],
    ['ESTAB', 'udp6', 'ESTAB'],
    ['CLOSE', 'udp', 'UNCONN'],
    ['LISTEN', 'udp', 'LISTEN'],
  ] as const)('normalizes %s for a %s table to %s', (name, protocol, state) => {
    expect(normalizeSocketState(name, protocol)).toBe(state);
  });

  it.each(['', 'OPEN', '__proto__', 'constructor', 'x'.repeat(1_000)])(
    'rejects the state name %j',
    (name) => {
      expect(thrownBy(() => normalizeSocketState(name))).toBeInstanceOf(RangeError);
    },
  );

  it('spells states as ss does, and reads its own spelling back', () => {
    expect(ssStateName('ESTABLISHED')).toBe('ESTAB');
    expect(ssStateName('SYN-RECEIVED')).toBe('SYN-RECV');
    expect(ssStateName('TIME-WAIT')).toBe('TIME-WAIT');
    for (const e of all) {
      expect(normalizeSocketState(ssStateName(e.state), e.protocol)).toBe(e.state);
    }
  });
});

describe('readSocketTable with a captured procfs', () => {
  async function fakeProc(files: Partial<Record<SocketProtocol, string>>): Promise<string> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'socketlab-proc-'));
    onTestFinished(() => rm(root, { recursive: true, force: true }));
    await mkdir(path.join(root, 'net'));
    for (const [name, text] of Object.entries(files)) {
      await writeFile(path.join(root, 'net', name), text);
    }
    return root;
  }

  it('reads every table in order: tcp, tcp6, udp, udp6', async () => {
    const procRoot = await fakeProc(FIXTURES);
    const entries = await readSocketTable({ procRoot });
    expect(entries.map((e) => e.protocol)).toEqual([
      ...Array(8).fill('tcp'),
      ...Array(4).fill('tcp6'),
      'udp',
      'udp',
      'udp6',
    ]);
    expect(await readSocketTable({ procRoot, protocols: ['udp6'] })).toHaveLength(1);
  });

  it('treats a missing tcp6/udp6 table as a kernel without IPv6', async () => {
    const procRoot = await fakeProc({ tcp: TCP, udp: UDP });
    expect(await readSocketTable({ procRoot })).toHaveLength(10);
  });

  it('rejects with BASICS_ERR_UNSUPPORTED_PLATFORM when there is no tcp table', async () => {
    const procRoot = await fakeProc({});
    const err = await readSocketTable({ procRoot }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BasicsError);
    expect((err as BasicsError).code).toBe('BASICS_ERR_UNSUPPORTED_PLATFORM');
    expect((err as BasicsError).message).toMatch(/netstat -an|lsof -i/);
    expect((err as BasicsError).cause).toBeDefined();
  });

  it('rejects with the line number for a malformed table, or skips with a warning', async () => {
    const procRoot = await fakeProc({ tcp: `${TCP}garbage\n`, udp: UDP });
    const err = await readSocketTable({ procRoot }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(10);
    expect((err as ParseError).message).toContain(path.join(procRoot, 'net', 'tcp'));
    const warnings: ProcNetWarning[] = [];
    const entries = await readSocketTable({
      procRoot,
      malformed: 'skip',
      onWarning: (w) => warnings.push(w),
    });
    expect(entries).toHaveLength(10);
    expect(warnings.map((w) => w.line)).toEqual([10]);
  });

  it('throws TypeError synchronously for bad options', () => {
    expect(() => readSocketTable({ protocols: [] })).toThrow(TypeError);
    expect(() => readSocketTable({ protocols: ['sctp' as SocketProtocol] })).toThrow(TypeError);
    expect(() => readSocketTable({ procRoot: '' })).toThrow(TypeError);
    expect(() => readSocketTable({ malformed: 'maybe' as 'skip' })).toThrow(TypeError);
    expect(() => readSocketTable(null as never)).toThrow(TypeError);
  });

  it('says what to use instead on a platform without /proc', async () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform');
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    onTestFinished(() => {
      if (platform) Object.defineProperty(process, 'platform', platform);
    });
    const err = await readSocketTable().catch((e: unknown) => e);
    expect((err as BasicsError).code).toBe('BASICS_ERR_UNSUPPORTED_PLATFORM');
    expect((err as BasicsError).message).toContain('darwin');
    expect((err as BasicsError).message).toContain('lsof -i');
  });
});

// ---------------------------------------------------------------------------------------------
// Real sockets, and agreement with ss (iproute2).

const execFileAsync = promisify(execFile);

interface Row {
  table: 'tcp' | 'udp';
  local: string;
  peer: string;
  state: string;
}

const rowKey = (r: Row) => `${r.table} ${r.local} ${r.peer} ${r.state}`;

/** One canonical form for an address and port from either source: wildcards are `*`. */
function canonical(address: string, port: number): string {
  const host = address === '0.0.0.0' || address === '::' || address === '*' ? '*' : address;
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Splits ss's `[::ffff:127.0.0.1]:4242`, `127.0.0.1%lo:80` or `*:*` into canonical form. */
function fromSs(text: string): string {
  const cut = text.lastIndexOf(':');
  const host = text
    .slice(0, cut)
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%[^%\]]*$/, '');
  const port = text.slice(cut + 1);
  return canonical(host, port === '*' ? 0 : Number(port));
}

async function ss(table: 'tcp' | 'udp'): Promise<Row[]> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('ss', [table === 'tcp' ? '-tanH' : '-uanH'], {
      timeout: 5_000,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        '`ss` was not found: install iproute2 (Debian/Ubuntu: `sudo apt-get install iproute2`); CI installs it, and this test compares our socket table with it',
        { cause: err },
      );
    }
    throw err;
  }
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [state = '', , , local = '', peer = ''] = line.trim().split(/\s+/);
      return {
        table,
        local: fromSs(local),
        peer: fromSs(peer),
        state: normalizeSocketState(state, table),
      };
    });
}

function ours(entries: readonly SocketTableEntry[]): Row[] {
  return entries.map((e) => ({
    table: e.protocol.startsWith('udp') ? 'udp' : 'tcp',
    local: canonical(e.localAddress, e.localPort),
    peer: canonical(e.remoteAddress, e.remotePort),
    state: e.state,
  }));
}

interface Pair {
  server: net.Server;
  serverPort: number;
  client: net.Socket;
  accepted: net.Socket;
}

async function tcpPair(
  host: LoopbackHost | '::ffff:127.0.0.1',
  connectTo: LoopbackHost,
): Promise<Pair> {
  // pauseOnConnect: the server never reads, so bytes the client sends wait in its receive queue.
  const server = net.createServer({ pauseOnConnect: true });
  const sockets: net.Socket[] = [];
  onTestFinished(() => closeServer(server, sockets));
  let serverPort: number;
  if (host === '::ffff:127.0.0.1') {
    // 127.0.0.1 written as an IPv4-mapped IPv6 address: an AF_INET6 socket that is still loopback only.
    server.listen(0, host);
    await nextEvent(server, 'listening');
    serverPort = (server.address() as net.AddressInfo).port;
  } else {
    ({ port: serverPort } = await listenOnFreePort(server, host));
  }
  const acceptedP = nextEvent<[net.Socket]>(server, 'connection');
  const client = net.connect({ port: serverPort, host: connectTo });
  sockets.push(client);
  await nextEvent(client, 'connect');
  const [accepted] = await acceptedP;
  sockets.push(accepted);
  return { server, serverPort, client, accepted };
}

async function udpSocket(type: 'udp4' | 'udp6', host: LoopbackHost): Promise<dgram.Socket> {
  const socket = dgram.createSocket(type);
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  socket.bind(0, host);
  await nextEvent(socket, 'listening');
  return socket;
}

describe.runIf(process.platform === 'linux')('readSocketTable on real sockets', () => {
  it('finds TCP on 127.0.0.1, ::1 and ::ffff:127.0.0.1, and UDP on both, with the right states', async () => {
    const v4 = await tcpPair('127.0.0.1', '127.0.0.1');
    const v6 = await tcpPair('::1', '::1');
    const mapped = await tcpPair('::ffff:127.0.0.1', '127.0.0.1');
    const udp = await udpSocket('udp4', '127.0.0.1');
    const udpConnected = await udpSocket('udp4', '127.0.0.1');
    udpConnected.connect(udp.address().port, '127.0.0.1');
    await nextEvent(udpConnected, 'connect');
    const udp6 = await udpSocket('udp6', '::1');
    v4.client.write('hello');

    const uid = process.getuid?.() ?? 0;
    const find = (
      entries: SocketTableEntry[],
      protocol: SocketProtocol,
      local: string,
      localPort: number,
      remote: string,
      remotePort: number,
    ) =>
      entries.find(
        (e) =>
          e.protocol === protocol &&
          e.localAddress === local &&
          e.localPort === localPort &&
          e.remoteAddress === remote &&
          e.remotePort === remotePort,
      );

    // Wait until the 5 bytes sit in the server's receive queue (the kernel table has no event).
    const table = await pollUntil(
      async () => {
        const entries = await readSocketTable();
        const server = find(
          entries,
          'tcp',
          '127.0.0.1',
          v4.serverPort,
          '127.0.0.1',
          v4.client.localPort ?? 0,
        );
        return server?.rxQueue === 5 && entries;
      },
      'the 5 bytes the client sent to show in the server side’s Recv-Q',
      { intervalMs: 20 },
    );

    const expectations: Array<[SocketProtocol, string, number, string, number, string]> = [
      ['tcp', '127.0.0.1', v4.serverPort, '0.0.0.0', 0, 'LISTEN'],
      ['tcp', '127.0.0.1', v4.client.localPort ?? 0, '127.0.0.1', v4.serverPort, 'ESTABLISHED'],
      ['tcp', '127.0.0.1', v4.serverPort, '127.0.0.1', v4.client.localPort ?? 0, 'ESTABLISHED'],
      ['tcp6', '::1', v6.serverPort, '::', 0, 'LISTEN'],
      ['tcp6', '::1', v6.client.localPort ?? 0, '::1', v6.serverPort, 'ESTABLISHED'],
      ['tcp6', '::1', v6.serverPort, '::1', v6.client.localPort ?? 0, 'ESTABLISHED'],
      ['tcp6', '::ffff:127.0.0.1', mapped.serverPort, '::', 0, 'LISTEN'],
      [
        'tcp',
        '127.0.0.1',
        mapped.client.localPort ?? 0,
        '127.0.0.1',
        mapped.serverPort,
        'ESTABLISHED',
      ],
      [
        'tcp6',
        '::ffff:127.0.0.1',
        mapped.serverPort,
        '::ffff:127.0.0.1',
        mapped.client.localPort ?? 0,
        'ESTABLISHED',
      ],
      ['udp', '127.0.0.1', udp.address().port, '0.0.0.0', 0, 'UNCONN'],
      ['udp', '127.0.0.1', udpConnected.address().port, '127.0.0.1', udp.address().port, 'ESTAB'],
      ['udp6', '::1', udp6.address().port, '::', 0, 'UNCONN'],
    ];
    for (const [protocol, local, localPort, remote, remotePort, state] of expectations) {
      const what = `${protocol} ${local}:${localPort} → ${remote}:${remotePort}`;
      const entry = find(table, protocol, local, localPort, remote, remotePort);
      expect(entry, `${what} in our table`).toBeDefined();
      expect(entry?.remoteAddress, what).toBe(remote);
      expect(entry?.state, what).toBe(state);
      expect(entry?.uid, `${what}: owned by this process's user`).toBe(uid);
      expect(entry?.inode, `${what}: has an inode`).toBeGreaterThan(0);
    }
  });

  it('agrees with `ss -tanH` and `ss -uanH` on this test’s own sockets', async () => {
    const pairs = [
      await tcpPair('127.0.0.1', '127.0.0.1'),
      await tcpPair('::1', '::1'),
      await tcpPair('::ffff:127.0.0.1', '127.0.0.1'),
    ];
    const udp = await udpSocket('udp4', '127.0.0.1');
    const udpConnected = await udpSocket('udp4', '127.0.0.1');
    udpConnected.connect(udp.address().port, '127.0.0.1');
    await nextEvent(udpConnected, 'connect');
    const udp6 = await udpSocket('udp6', '::1');

    // This test's own sockets, each by its (local, peer) pair: other tests running in parallel may
    // reuse one of these port numbers on another address or towards another peer.
    const own = new Set<string>();
    const add = (table: 'tcp' | 'udp', local: string, peer: string) =>
      own.add(`${table} ${local} ${peer}`);
    for (const { server, client, accepted } of pairs) {
      const listening = server.address() as net.AddressInfo;
      add('tcp', canonical(listening.address, listening.port), canonical('*', 0));
      for (const socket of [client, accepted]) {
        add(
          'tcp',
          canonical(socket.localAddress ?? '', socket.localPort ?? 0),
          canonical(socket.remoteAddress ?? '', socket.remotePort ?? 0),
        );
      }
    }
    add('udp', canonical('127.0.0.1', udp.address().port), canonical('*', 0));
    add(
      'udp',
      canonical('127.0.0.1', udpConnected.address().port),
      canonical('127.0.0.1', udp.address().port),
    );
    add('udp', canonical('::1', udp6.address().port), canonical('*', 0));
    // A TIME-WAIT row is no socket anyone holds: the remains of an earlier connection (another
    // test's, with ports the kernel has since handed out again) can share this test's 4-tuple.
    const mine = (rows: Row[]) =>
      rows
        .filter((r) => r.state !== 'TIME-WAIT' && own.has(`${r.table} ${r.local} ${r.peer}`))
        .map(rowKey)
        .sort();

    // The sockets are in steady states (LISTEN, ESTABLISHED, UNCONN, ESTAB): one read of each suffices.
    const [table, ssTcp, ssUdp] = await Promise.all([readSocketTable(), ss('tcp'), ss('udp')]);
    const fromUs = mine(ours(table));
    const fromSsRows = mine([...ssTcp, ...ssUdp]);
    expect(
      fromUs,
      `our table holds each of this test’s 12 sockets:\n${fromUs.join('\n')}`,
    ).toHaveLength(own.size);
    expect(own.size).toBe(3 * 3 + 3);
    expect(fromUs, 'our socket table compared with ss (local, peer, state)').toEqual(fromSsRows);
  });
});
