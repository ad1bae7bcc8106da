/**
 * Speaks the NATS text protocol by hand on one TCP connection and prints both directions, for
 * lessons/nats.md: a wildcard subscription, the PING/PONG round trip that `flush()` is, and the
 * server's "no responders" status. Needs the NATS server (NATS_URL, or 127.0.0.1:4222).
 * Run: pnpm exec tsx examples/lesson-nats-wire.ts
 * @see https://docs.nats.io/reference/reference-protocols/nats-protocol
 */
import net from 'node:net';

const url = new URL(process.env.NATS_URL ?? 'nats://127.0.0.1:4222');
const socket = net.connect(Number(url.port) || 4222, url.hostname);
let received = '';
socket.setEncoding('utf8');
socket.on('data', (chunk: string) => {
  received += chunk;
});

const send = (text: string): void => {
  process.stdout.write(`> ${text}`);
  socket.write(text);
};

/** PING, then wait (bounded) for the PONG: the server answers in order, so all before it is in. */
async function roundTrip(): Promise<void> {
  send('PING\r\n');
  for (let i = 0; i < 500 && !received.includes('PONG\r\n'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (const line of received.split('\r\n').filter(Boolean)) {
    console.log(`< ${line.startsWith('INFO') ? `${line.slice(0, 70)}…` : line}`);
  }
  received = '';
}

await new Promise((resolve) => socket.once('connect', resolve));
send('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\n');
await roundTrip();
send('SUB shop.rooms.* 1\r\n');
send('PUB shop.rooms.lobby 12\r\n{"price":42}\r\n');
send('PUB shop.rooms.lobby.extra 2\r\n{}\r\n');
await roundTrip();
send('SUB _INBOX.demo 2\r\n');
send('HPUB nobody.home _INBOX.demo 12 12\r\nNATS/1.0\r\n\r\n\r\n');
await roundTrip();
socket.end();
