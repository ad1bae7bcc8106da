import { nextEvent, pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { findTimeWait } from '../../src/tcp/time-wait.ts';
import { openTcpPair, readAll } from '../helpers/tcp-pair.ts';

// TIME-WAIT is held by the side that sent the first FIN (RFC 9293 §3.6), for 2×MSL (60 s on Linux).
describe.runIf(process.platform === 'linux')('findTimeWait (reads /proc/net/tcp)', () => {
  it('finds TIME-WAIT on the client when the client closes first, and not on the server', async () => {
    const { port, client, server } = await openTcpPair();
    server.on('end', () => void server.end()); // passive close: answers FIN with FIN
    server.on('data', () => undefined);
    await client.write('hello');
    await withTimeout(client.end(), 'the active close');
    await server.closed;
    const tuple = { localPort: client.localPort, remotePort: client.remotePort };
    const [entry] = await pollUntil(async () => {
      const found = await findTimeWait({ ...tuple, localAddress: '127.0.0.1' });
      return found.length > 0 && found;
    }, `a TIME-WAIT entry for 127.0.0.1:${tuple.localPort} -> ${tuple.remotePort}`);
    expect(entry?.state).toBe('TIME-WAIT');
    expect(entry?.remoteAddress).toBe('127.0.0.1');
    expect(entry?.timer.kind).toBe('time-wait');
    // The passive side (the server) goes CLOSE-WAIT -> LAST-ACK -> CLOSED: no TIME-WAIT there.
    expect(await findTimeWait({ localPort: port, remotePort: client.localPort })).toEqual([]);
  });

  it('finds TIME-WAIT on the server when the server closes first', async () => {
    const { port, client, server } = await openTcpPair();
    client.on('end', () => void client.end());
    const serverDone = server.end();
    await readAll(client, "the server's FIN");
    await withTimeout(serverDone, 'the server active close');
    const found = await pollUntil(async () => {
      const entries = await findTimeWait({ localPort: port, remotePort: client.localPort });
      return entries.length > 0 && entries;
    }, 'a TIME-WAIT entry on the server side');
    expect(found).toHaveLength(1);
    expect(await findTimeWait({ localPort: client.localPort, remotePort: port })).toEqual([]);
  });

  it('leaves no TIME-WAIT on either side after reset()', async () => {
    const { port, client, server } = await openTcpPair();
    const got = nextEvent(server, 'data'); // an RST that finds unread data looks like a FIN to Node
    await client.write('x');
    await got;
    client.reset();
    await client.closed;
    await withTimeout(server.closed, 'the server to see the reset');
    expect(server.closeReason).toBe('error');
    expect(await findTimeWait({ localPort: client.localPort, remotePort: port })).toEqual([]);
    expect(await findTimeWait({ localPort: port, remotePort: client.localPort })).toEqual([]);
  });

  it('finds TIME-WAIT for an IPv6 connection on ::1 (the tcp6 table)', async () => {
    const { port, client, server } = await openTcpPair({ host: '::1' }, { host: '::1' });
    server.on('data', () => undefined);
    server.on('end', () => void server.end());
    await withTimeout(client.end(), 'the active close over IPv6');
    const [entry] = await pollUntil(async () => {
      const found = await findTimeWait({
        localPort: client.localPort,
        remotePort: port,
        localAddress: '::1',
        remoteAddress: '::1',
      });
      return found.length > 0 && found;
    }, 'a TIME-WAIT entry in /proc/net/tcp6');
    expect(entry?.protocol).toBe('tcp6');
    expect(entry?.localAddress).toBe('::1');
  });

  it('rejects ports out of range synchronously', () => {
    expect(() => findTimeWait({ localPort: 0, remotePort: 1 })).toThrow(RangeError);
    expect(() => findTimeWait({ localPort: 1, remotePort: 65_536 })).toThrow(RangeError);
  });
});
