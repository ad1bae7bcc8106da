/**
 * The game demo: an HTTP server that serves examples/game/ (the page, and its script bundled
 * with esbuild at start), Socket.IO (which serves its own client at /socket.io/socket.io.js)
 * and `createGameServer` on the `/game` namespace, with a few wandering bots so the page is
 * never empty. Prints its URL; stops on Ctrl-C.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/game-server.ts [--port 8080] [--bots 5]
 *
 * Used by lessons/game-server.md and the browser test (test/realtime/game/browser.test.ts).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { Server } from 'socket.io';
import { createGameServer, type GameServer } from '../src/realtime/index.ts';

const here = new URL('./game/', import.meta.url);

/** Bundles the page's script for the browser; stage 2's struct codec comes from its source. */
async function bundleClient(): Promise<string> {
  const serialization = fileURLToPath(
    new URL('../../tcp-udp/src/serialization/index.ts', import.meta.url),
  );
  const result = await build({
    entryPoints: [fileURLToPath(new URL('client.ts', here))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@socketlab/source'],
    logLevel: 'silent',
    plugins: [
      {
        // The public entry of @socketlab/tcp-udp also holds its Node sockets; the page needs
        // only the binary structs, which are plain TypeScript.
        name: 'tcp-udp-serialization',
        setup(b) {
          b.onResolve({ filter: /^@socketlab\/tcp-udp$/ }, () => ({ path: serialization }));
        },
      },
    ],
  });
  return result.outputFiles[0]?.text ?? '';
}

/** A running demo. */
export interface GameDemo {
  readonly url: string;
  readonly game: GameServer;
  readonly http: HttpServer;
  close(): Promise<void>;
}

/** Starts the demo on `host`:`port` (0: any free port) with `bots` wandering players. */
export async function startGameDemo({
  port = 0,
  host = '127.0.0.1',
  bots = 3,
  tickMs = 50,
} = {}): Promise<GameDemo> {
  const [page, script] = await Promise.all([
    readFile(new URL('index.html', here), 'utf8'),
    bundleClient(),
  ]);
  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (req.method === 'GET' && path === '/client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else if (!path?.startsWith('/socket.io/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  const io = new Server(http);
  const game = createGameServer(io.of('/game'), { tickMs, interestRadius: 300 });
  // Bots live in the world without a socket: each walks a circle, one input per tick.
  const wanderers = Array.from({ length: bots }, (_, i) => ({
    id: game.world.addPlayer({ x: 250 + 250 * (i % 3), y: 300 + 200 * Math.floor(i / 3) }),
    seq: 0,
    phase: i,
  }));
  game.onTick((tick) => {
    for (const bot of wanderers) {
      const angle = tick / 20 + bot.phase;
      game.world.receiveInput(bot.id, { seq: bot.seq++, dx: Math.cos(angle), dy: Math.sin(angle) });
    }
  });
  await new Promise<void>((resolve) => http.listen(port, host, resolve));
  const { port: bound } = http.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}/`,
    game,
    http,
    async close() {
      game.close();
      await io.close();
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      bots: { type: 'string', default: '3' },
    },
  });
  const demo = await startGameDemo({
    port: Number(values.port),
    host: values.host,
    bots: Number(values.bots),
  });
  console.log(`game demo on ${demo.url} (Ctrl-C to stop)`);
  process.once('SIGINT', () => void demo.close());
  process.once('SIGTERM', () => void demo.close());
}
