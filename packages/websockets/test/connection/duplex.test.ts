// WebSocketConnection needs only a Duplex: here two ends joined in memory, no socket at all.
import { duplexPair } from 'node:stream';
import { nextEvent } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { WebSocketConnection } from '../../src/connection/index.ts';
import { closeOf } from './peers.ts';

describe('WebSocketConnection over any Duplex', () => {
  it('exchanges messages and completes the closing handshake over an in-memory pair', async () => {
    const [a, b] = duplexPair();
    const server = new WebSocketConnection(a, { role: 'server' });
    const client = new WebSocketConnection(b, { role: 'client' });
    const received = nextEvent<[Buffer, boolean]>(server, 'message');
    client.send('in memory');
    expect((await received)[0].toString()).toBe('in memory');
    const serverClosed = closeOf(server);
    const clientClosed = closeOf(client);
    client.close(3000, 'done');
    expect(await serverClosed).toEqual({ code: 3000, reason: 'done' });
    expect(await clientClosed).toEqual({ code: 3000, reason: '' });
  });

  it('reads the bytes that followed the handshake head first', async () => {
    const [a, b] = duplexPair();
    const early = Buffer.from([0x81, 0x02, 0x68, 0x69]); // 'hi', unmasked: from a server
    const client = new WebSocketConnection(b, { role: 'client', head: early });
    const [data] = await nextEvent<[Buffer]>(client, 'message');
    expect(data.toString()).toBe('hi');
    a.resume(); // the in-memory peer must read for our end of the pair to finish
    a.end(); // the peer leaves without a close frame
    expect((await closeOf(client)).code).toBe(1006);
  });
});
