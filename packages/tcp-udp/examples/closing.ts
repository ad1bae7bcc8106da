/**
 * Closing TCP three ways on 127.0.0.1, and what each leaves in the kernel's socket table.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/closing.ts
 *   ss -tan state time-wait      # in another terminal, within 60 s: the entries it left
 *
 * Used by lessons/closing.md.
 */
import { once } from 'node:events';
import {
  connectTcpClient,
  createTcpServer,
  findTimeWait,
  type TcpConnection,
} from '../src/index.ts';

const server = createTcpServer({ closeTimeoutMs: 1_000 });
const accepted: TcpConnection[] = [];
server.on('connection', (conn) => accepted.push(conn));
const { port } = await server.listen();
console.log(`server listening on 127.0.0.1:${port}\n`);

async function pair(): Promise<{ client: TcpConnection; peer: TcpConnection }> {
  const client = await connectTcpClient({ port });
  if (accepted.length === 0) await once(server, 'connection');
  const peer = accepted.shift() as TcpConnection;
  return { client, peer };
}

async function showTimeWait(label: string, conn: TcpConnection): Promise<void> {
  const entries = await findTimeWait({ localPort: conn.localPort, remotePort: conn.remotePort });
  const where = `${label} 127.0.0.1:${conn.localPort} -> 127.0.0.1:${conn.remotePort}`;
  if (entries.length === 0) console.log(`  ${where}: no TIME-WAIT`);
  for (const entry of entries) {
    const seconds = (entry.timer.ticks / 100).toFixed(1);
    console.log(`  ${where}: ${entry.state}, about ${seconds} s left (timer ${entry.timer.kind})`);
  }
}

// 1. Half-close, then graceful close, the client first: the client holds TIME-WAIT.
{
  console.log('1. the client half-closes (FIN) first; the server replies, then closes');
  const { client, peer } = await pair();
  const question: Buffer[] = [];
  peer.on('data', (chunk) => question.push(chunk));
  peer.on('end', async () => {
    await peer.write(`you said ${JSON.stringify(Buffer.concat(question).toString())}, bye\n`);
    await peer.end();
  });
  const reply: Buffer[] = [];
  client.on('data', (chunk) => reply.push(chunk));
  await client.write('hello');
  await client.end(); // resolves once both FINs are through
  console.log(`  the client got, after its own FIN: ${Buffer.concat(reply).toString().trim()}`);
  console.log(`  close reasons: client ${client.closeReason}, server ${peer.closeReason}`);
  await showTimeWait('client', client);
  await showTimeWait('server', peer);
}

// 2. The server closes first: now the server's side holds TIME-WAIT.
{
  console.log('\n2. the server closes first');
  const { client, peer } = await pair();
  client.on('data', () => undefined);
  client.on('end', () => void client.end());
  await peer.end();
  await client.closed;
  await showTimeWait('client', client);
  await showTimeWait('server', peer);
}

// 3. An abortive close: RST instead of FIN. No TIME-WAIT; the peer gets ECONNRESET.
{
  console.log('\n3. the client resets (resetAndDestroy, like SO_LINGER with a zero timeout)');
  const { client, peer } = await pair();
  const seen = new Promise((resolve) => peer.once('data', resolve));
  await client.write('x');
  await seen; // an RST that finds unread data reaches Node as a plain end: let the server read
  client.reset();
  const reason = await peer.closed;
  console.log(`  close reasons: client ${client.closeReason}, server ${reason}`);
  console.log(`  the server saw: ${peer.closeError?.code}: ${peer.closeError?.message}`);
  await showTimeWait('client', client);
  await showTimeWait('server', peer);
}

await server.close();
console.log('\nnow run: ss -tan state time-wait   (entries vanish 60 s after they were made)');
