import { withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listenImpairedUdpLink } from '../../src/impaired/udp-link.ts';
import { listenReliableUdp } from '../../src/reliable/server.ts';
import type { ReliableUdpConnection } from '../../src/reliable/socket.ts';
import { connectTo, LOOPBACK_LIMITS, readAll } from '../helpers/reliable-peers.ts';

// Regression: when the client's ACK of the server's FIN was lost and the client had already
// closed after its linger, the server resent its FIN to a closed port until its idle timeout:
// its end() failed 30 s later although every byte had arrived. The client now keeps its socket
// in TIME-WAIT and answers a resent FIN with its final ACK.
describe('reliable UDP when the last ACK is lost', () => {
  it("lets the server's end() succeed once the client has closed", async () => {
    let serverEnded: Promise<void> | undefined;
    let serverSide: ReliableUdpConnection | undefined;
    // The server's FIN is resent with backoff while every ACK is lost; a cap of 1 s on the RTO
    // keeps the resend that gets through within the waits below, however slow the machine is
    // (with the default 60 s cap, a loaded machine backed off past them: seen under load).
    const limits = { ...LOOPBACK_LIMITS, rto: { ...LOOPBACK_LIMITS.rto, maxRtoMs: 1_000 } };
    const server = await listenReliableUdp(limits, (connection) => {
      serverSide = connection;
      serverEnded = readAll(connection).then(() => connection.end());
      serverEnded.catch(() => {});
    });
    onTestFinished(() => server.close());
    const link = await listenImpairedUdpLink({ target: server.address, seed: 1 });
    onTestFinished(() => link.close());
    const client = await connectTo(link.address.port, { lingerMs: 0 });
    await client.write(Buffer.from('all of it'));
    await withTimeout(client.end(), "the client's FIN to be acknowledged");
    link.setImpairment('toTarget', { loss: 1 }); // every ACK of the server's FIN is lost
    await withTimeout(readAll(client), "the server's FIN");
    expect(await withTimeout(client.closed, 'the client to close after its linger')).toBe('done');
    expect(serverSide?.state).not.toBe('closed');
    link.setImpairment('toTarget', { loss: 0 }); // the next resent FIN gets through
    await withTimeout(
      serverEnded ?? Promise.reject(new Error('no connection')),
      "the server's end()",
    );
    expect(
      await withTimeout(serverSide?.closed ?? Promise.reject(), 'the server side to close'),
    ).toBe('done');
  });
});
