/**
 * What each side of a TCP connection sees when things go wrong, as typed errors, on 127.0.0.1.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/tcp-errors.ts
 *
 * Used by lessons/errors-on-both-ends.md.
 */
import { once } from 'node:events';
import {
  connectTcpClient,
  createTcpServer,
  type TcpConnection,
  type TcpUdpError,
} from '../src/index.ts';

function show(side: string, error: unknown): void {
  const typed = error as TcpUdpError;
  const cause = (typed.cause as NodeJS.ErrnoException | undefined)?.code;
  console.log(`  ${side}: ${typed.code}${cause ? ` (cause ${cause})` : ''}`);
  console.log(`    ${typed.message}`);
}

const server = createTcpServer({ idleTimeoutMs: 300, closeTimeoutMs: 500 });
const accepted: TcpConnection[] = [];
server.on('connection', (conn) => accepted.push(conn));
const { port } = await server.listen();
async function pair(): Promise<{ client: TcpConnection; peer: TcpConnection }> {
  const client = await connectTcpClient({ port });
  if (accepted.length === 0) await once(server, 'connection');
  return { client, peer: accepted.shift() as TcpConnection };
}

console.log('1. connecting to a port where nothing listens');
const closedPort = await (async () => {
  const probe = createTcpServer();
  const address = await probe.listen();
  await probe.close();
  return address.port;
})();
await connectTcpClient({ port: closedPort }).catch((error: unknown) => show('client', error));

console.log('\n2. the client aborts (RST) while the server is reading');
{
  const { client, peer } = await pair();
  const seen = once(peer, 'data');
  await client.write('hello');
  await seen;
  client.reset();
  await peer.closed;
  show('server', peer.closeError);
  console.log(`  client: closeReason ${client.closeReason}, no error (it chose to reset)`);
}

console.log('\n3. the server closes abruptly; the client keeps writing');
{
  const { client, peer } = await pair();
  peer.on('data', () => undefined);
  client.on('data', () => undefined);
  const seen = once(peer, 'data');
  await client.write('a');
  await seen;
  peer.destroy(); // FIN, then the kernel answers anything more with RST
  let failure: unknown;
  for (let i = 0; i < 50 && failure === undefined; i++) {
    await client.write('more').catch((error: unknown) => {
      failure = error;
    });
    if (failure === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  show('client write', failure);
  console.log(`  client: closeReason ${await client.closed}`);
}

console.log('\n4. writing after our own end()');
{
  const { client, peer } = await pair();
  peer.on('data', () => undefined);
  peer.on('end', () => void peer.end());
  const done = client.end();
  await client.write('too late').catch((error: unknown) => show('client', error));
  await done;
}

console.log('\n5. a silent client meets the server idle timeout (300 ms)');
{
  const { client, peer } = await pair();
  client.on('data', () => undefined);
  await peer.closed;
  show('server', peer.closeError);
  if (!client.peerEnded) await once(client, 'end');
  console.log(`  client: no error, peerEnded ${client.peerEnded}: it only sees the server's FIN`);
  await client.end();
  console.log(`  client: closeReason ${client.closeReason} once it ended its side too`);
}

await server.close();
