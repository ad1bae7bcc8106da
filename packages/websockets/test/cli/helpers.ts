import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pollUntil, spawnSource, withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { acceptKey, createRequestHeadReader } from '../../src/handshake/index.ts';

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Bounded wait for anything a test awaits. */
export const WAIT_MS = 10_000;

/**
 * Bounded wait for what a spawned command does first (it starts Node and loads its sources
 * through tsx: under CI's full load that alone has taken over 10 s).
 */
export const SPAWN_WAIT_MS = 60_000;

/** `socketlab-ws ARGS` running in this process, its stdin a stream the test writes. */
export interface InProcessRun {
  readonly stdin: PassThrough;
  readonly printed: { out: string; err: string };
  /** SIGINT. */
  interrupt(): void;
  /** Its exit code, within {@link WAIT_MS}. */
  exited(): Promise<number>;
}

/** Starts `socketlab-ws ARGS` in process; the run is stopped when the test ends. */
export function startInProcess(argv: string[]): InProcessRun {
  const controller = new AbortController();
  const stdin = new PassThrough();
  const printed = { out: '', err: '' };
  const running = runCli(argv, {
    out: (line) => {
      printed.out += `${line}\n`;
    },
    err: (line) => {
      printed.err += `${line}\n`;
    },
    signal: controller.signal,
    stdin,
  });
  onTestFinished(async () => {
    controller.abort();
    stdin.end();
    await withTimeout(running, 'the command to stop', WAIT_MS);
  });
  return {
    stdin,
    printed,
    interrupt: () => controller.abort(),
    exited: () => withTimeout(running, 'the command to return', WAIT_MS),
  };
}

/** Waits for the `ws://…` line `echo` prints. */
export function urlPrintedBy(output: () => string): Promise<string> {
  return pollUntil(() => /^(ws:\/\/\S+)$/m.exec(output())?.[1], 'the ws:// URL on stdout', {
    ms: SPAWN_WAIT_MS,
  });
}

/** A spawned `socketlab-ws`, stdout and stderr kept apart, stdin a pipe. */
export interface SpawnedCli {
  readonly child: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves once it exited and its output is all read. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `socketlab-ws` from its sources as `pnpm start` runs it; killed when the test ends. */
export function spawnCli(args: string[]): SpawnedCli {
  const { child, stdout, stderr, exited } = spawnSource(PACKAGE_DIR, 'src/cli.ts', args, {
    stdin: 'pipe',
  });
  return { child, out: stdout, err: stderr, exited };
}

/**
 * A raw TCP server that answers every upgrade with a correct 101, then writes `after` (bytes
 * of frames, or `'destroy'` to cut the connection). Resolves with its ws:// URL.
 */
export async function rawUpgradeServer(after: Buffer | 'destroy'): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const reader = createRequestHeadReader();
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return; // the client's frames (its close): not read
      const result = reader.push(chunk);
      if (result === undefined) return;
      answered = true;
      const key = result.head.headers.get('sec-websocket-key') ?? '';
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
      );
      if (after === 'destroy') socket.destroy();
      else socket.write(after);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
}
