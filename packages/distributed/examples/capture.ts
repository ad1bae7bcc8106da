/**
 * The packet capture of lessons/monitoring.md: stage 2's length-prefixed echo server on
 * 127.0.0.1, port 0; tshark capturing on the loopback interface with a filter for that port; one
 * client that connects, sends the frame "hello", reads the echo and ends. It prints the exact
 * tshark command and every packet of the connection, from the SYN to the last ACK after both FINs.
 * Needs tshark, and the right to capture (root, or dumpcap's capabilities: `sudo
 * dpkg-reconfigure wireshark-common` and the `wireshark` group). Exits 1 with the reason if not.
 *   pnpm exec tsx --conditions=@socketlab/source examples/capture.ts
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { connectFramed, listenFramedEchoServer } from '@socketlab/tcp-udp';

/** How long any step may take before the example gives up (tshark's start is the slow one). */
const STEP_MS = 15_000;

interface Packet {
  number: number;
  seconds: number;
  srcPort: number;
  flags: string;
  info: string;
  payload: string;
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${STEP_MS} ms: ${what}`)),
        STEP_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

const server = await listenFramedEchoServer({ framing: 'length' });
const { port } = server.address as AddressInfo;
// biome-ignore format: an option and its value side by side read best
const args = [
  '-i', 'lo', '-f', `tcp port ${port}`, '-n', '-l',
  '-T', 'fields', '-E', 'separator=/t',
  '-e', 'frame.number', '-e', 'frame.time_relative', '-e', 'tcp.srcport',
  '-e', 'tcp.flags.str', '-e', '_ws.col.Info', '-e', 'tcp.payload',
];

let tshark: ChildProcess | undefined;
let exitCode = 0;
try {
  console.log(`server: stage 2's length-prefixed echo on 127.0.0.1:${port}`);
  console.log(`$ tshark ${args.map((a) => (/[\s/']/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const capture = spawn('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  tshark = capture;
  let stderr = '';
  const started = new Promise<void>((resolve, reject) => {
    capture.once('error', (err) =>
      reject(new Error(`cannot run tshark (${err.message}): apt-get install -y tshark`)),
    );
    capture.once('exit', (code) =>
      reject(new Error(`tshark exited (${code}) before capturing:\n${stderr.trim()}`)),
    );
    capture.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // 'Capturing on …' comes first; packets are recorded from 'Capture started' on.
      if (stderr.includes('Capture started')) resolve();
    });
  });
  await within(started, 'tshark to start capturing');

  const packets: Packet[] = [];
  let finishedResolve: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finishedResolve = resolve;
  });
  createInterface({ input: capture.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const [number, seconds, srcPort, flags, info, payload] = line.split('\t');
    packets.push({
      number: Number(number),
      seconds: Number(seconds),
      srcPort: Number(srcPort),
      flags: flags ?? '',
      info: info ?? '',
      payload: payload ?? '',
    });
    // Done once both sides sent a FIN and a packet (the last ACK) came after the second.
    const fins = packets.filter((p) => p.flags.endsWith('F'));
    const lastFin = fins[1];
    if (lastFin !== undefined && packets.at(-1) !== lastFin) finishedResolve();
  });

  const client = await within(connectFramed({ host: '127.0.0.1', port }), 'the connection');
  await client.send(Buffer.from('hello'));
  const echo = await within(client.read(), 'the echo');
  await client.end();
  await within(client.read(), "the server's FIN");
  console.log(`client: sent "hello" (9 bytes framed), read back "${echo?.toString()}", ended`);
  await within(finished, 'tshark to see the closing handshake');

  const clientPort = packets[0]?.srcPort;
  for (const p of packets) {
    const who = p.srcPort === clientPort ? 'client → server' : 'server → client';
    const payload = p.payload === '' ? '' : `  payload ${p.payload}`;
    console.log(
      `${String(p.number).padStart(3)}  ${(p.seconds * 1_000).toFixed(3).padStart(7)} ms  ${who}  ${p.info}${payload}`,
    );
  }
  console.log(`${packets.length} packets on port ${port}`);
} catch (err) {
  console.error((err as Error).message);
  exitCode = 1;
} finally {
  tshark?.kill('SIGINT');
  await server.close();
}
process.exit(exitCode);
