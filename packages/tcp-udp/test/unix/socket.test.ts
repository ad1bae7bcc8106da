import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import type net from 'node:net';
import { dirname, join } from 'node:path';
import { nextEvent, rejectionOf, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  ConnectionError,
  connectFramed,
  connectUnix,
  FileSystemError,
  FramedSocket,
  lengthPrefixCodec,
  listenFramedEchoServer,
  listenUnix,
  TcpConnection,
  type UnixListenOptions,
  type UnixSocketServer,
} from '../../src/index.ts';
import { crashServerAt, unixTempDir } from '../helpers/unix-fixtures.ts';

async function listen(path: string, options?: UnixListenOptions): Promise<UnixSocketServer> {
  const unix = await listenUnix(path, options);
  onTestFinished(() => unix.close());
  return unix;
}

/** Answers each connection with `hello\n` and ends it. */
function greet(unix: UnixSocketServer, greeting = 'hello\n'): void {
  unix.server.on('connection', (socket) => {
    socket.on('error', () => {}); // a probe that hangs up before reading resets its socket
    socket.end(greeting);
  });
}

/** Connects, reads to the end, returns what arrived. */
async function fetchGreeting(path: string): Promise<string> {
  const conn = await connectUnix(path, { connectTimeoutMs: 5_000 });
  onTestFinished(() => conn.destroy());
  let text = '';
  for await (const chunk of conn) text += chunk.toString();
  return text;
}

/** Echoes every frame back over a FramedSocket, for each connection of `server`. */
function serveFramedEcho(server: net.Server): void {
  server.on('connection', (socket) => {
    const framed = new FramedSocket(socket, { codec: lengthPrefixCodec() });
    void (async () => {
      try {
        for await (const frame of framed) await framed.send(frame);
        await framed.end();
      } catch {
        framed.destroy();
      }
    })();
  });
}

/** Reads `conn` until the peer closes its side (FIN) or the connection fails. */
async function untilPeerCloses(conn: TcpConnection): Promise<void> {
  try {
    for await (const _ of conn); // discard: only the end matters
  } catch {
    // a reset (unread data on the server's side) ends it too
  }
}

/** The error a call rejected with; a call that resolves or hangs fails the test. */
const rejection = (promise: Promise<unknown>) =>
  rejectionOf(promise, 'the call', undefined, 15_000);

describe('listenUnix', () => {
  it('listens on a path, owner-only by default, and serves', async () => {
    const path = join(unixTempDir(), 'app.sock');
    const unix = await listen(path);
    greet(unix);
    const stats = lstatSync(path);
    expect(stats.isSocket()).toBe(true);
    expect(stats.mode & 0o777).toBe(0o600);
    expect(unix.abstract).toBe(false);
    expect(unix.replacedStale).toBe(false);
    expect(await fetchGreeting(path)).toBe('hello\n');
  });

  it.each([0o660, 0o666, 0o700])('applies mode %o to the socket file', async (mode) => {
    const path = join(unixTempDir(), 'mode.sock');
    await listen(path, { mode });
    expect(lstatSync(path).mode & 0o777).toBe(mode);
  });

  it('removes the socket file on close, and close can be called twice', async () => {
    const path = join(unixTempDir(), 'gone.sock');
    const unix = await listenUnix(path);
    expect(existsSync(path)).toBe(true);
    await unix.close();
    await unix.close();
    expect(existsSync(path)).toBe(false);
  });

  it('destroys a client that stays open once closeTimeoutMs has passed', async () => {
    const path = join(unixTempDir(), 'linger.sock');
    const unix = await listenUnix(path, { closeTimeoutMs: 50 });
    const accepted = nextEvent(unix.server, 'connection');
    const client = await connectUnix(path);
    onTestFinished(() => client.destroy());
    await accepted;
    await withTimeout(unix.close(), 'close() with a client that never ends');
    await withTimeout(untilPeerCloses(client), 'the server to close the client');
    expect(existsSync(path)).toBe(false);
  });

  it('says why it cannot listen in a directory that does not exist', async () => {
    const path = join(unixTempDir(), 'missing', 'app.sock');
    const err = await rejection(listenUnix(path));
    expect(err).toBeInstanceOf(ConnectionError);
    // libuv turns the kernel's ENOENT into EACCES for a pipe; the message says what is wrong.
    expect(err.message).toBe(
      `could not listen on ${path}: EACCES: the directory ${dirname(path)} does not exist`,
    );
    expect((err.cause as NodeJS.ErrnoException).code).toBe('EACCES');
  });

  it('replaces the stale socket file a crashed server left behind', async () => {
    const path = join(unixTempDir(), 'stale.sock');
    await crashServerAt(path);
    expect(lstatSync(path).isSocket()).toBe(true);
    const refused = await rejection(connectUnix(path));
    expect(refused).toBeInstanceOf(ConnectionError);
    expect(refused.message).toMatch(/ECONNREFUSED, nobody listens: a stale socket file/);

    const unix = await listen(path);
    greet(unix, 'fresh\n');
    expect(unix.replacedStale).toBe(true);
    expect(await fetchGreeting(path)).toBe('fresh\n');
  });

  it('refuses to take over a live server, which keeps serving', async () => {
    const path = join(unixTempDir(), 'live.sock');
    const first = await listen(path);
    greet(first, 'first\n');
    const inode = lstatSync(path).ino;

    const err = await rejection(listenUnix(path));
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe('TCPUDP_ERR_CONNECTION');
    expect(err.message).toBe(
      `another server is listening on ${path} (it accepted a test connection); stop it, or choose another path`,
    );
    expect(lstatSync(path).ino).toBe(inode);
    expect(await fetchGreeting(path)).toBe('first\n');
  });

  it('never removes a regular file, a directory or a symbolic link in the way', async () => {
    const dir = unixTempDir();
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'precious');
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    const live = await listen(join(dir, 'real.sock'));
    const link = join(dir, 'link.sock');
    symlinkSync(live.path, link);

    for (const [path, what] of [
      [file, 'not a socket'],
      [folder, 'a directory'],
      [link, 'a symbolic link'],
    ] as const) {
      const err = await rejection(listenUnix(path));
      expect(err, path).toBeInstanceOf(FileSystemError);
      expect((err as FileSystemError).code).toBe('TCPUDP_ERR_FILE_SYSTEM');
      expect(err.message).toContain(`${path} exists and is ${what}; refusing to remove it`);
    }
    expect(readFileSync(file, 'utf8')).toBe('precious');
    expect(lstatSync(folder).isDirectory()).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('refuses a path longer than sun_path before creating anything', async () => {
    const dir = unixTempDir();
    const longest = join(dir, 'x'.repeat(107 - dir.length - 1));
    expect(Buffer.byteLength(longest)).toBe(107);
    expect(() => listenUnix(`${longest}y`)).toThrow(RangeError);
    expect(() => listenUnix(`${longest}y`)).toThrow(
      /is 108 bytes; sun_path holds 108 \(man 7 unix\)/,
    );
    expect(() => listenUnix(join(dir, 'é'.repeat(60)))).toThrow(RangeError);
    expect(existsSync(`${longest}y`)).toBe(false);
    expect(existsSync(longest)).toBe(false);
    // 107 bytes fits, and binds exactly that name (libuv would silently cut a longer one).
    const unix = await listen(longest);
    greet(unix);
    expect(lstatSync(longest).isSocket()).toBe(true);
    expect(await fetchGreeting(longest)).toBe('hello\n');
  });

  it.each([
    { options: { mode: 0o10000 }, error: RangeError },
    { options: { mode: -1 }, error: RangeError },
    { options: { probeTimeoutMs: 0 }, error: RangeError },
    { options: { backlog: 1.5 }, error: TypeError },
    { options: { closeTimeoutMs: -1 }, error: RangeError },
  ])('refuses options $options synchronously', ({ options, error }) => {
    expect(() => listenUnix('/tmp/never.sock', options)).toThrow(error);
  });

  it.skipIf(process.platform !== 'linux')(
    'listens on a Linux abstract name: no file, and a live owner is detected',
    async () => {
      const name = `\0socketlab-${randomBytes(6).toString('hex')}`;
      const unix = await listen(name);
      greet(unix, 'abstract\n');
      expect(unix.abstract).toBe(true);
      expect(existsSync(name.slice(1))).toBe(false);
      expect(await fetchGreeting(name)).toBe('abstract\n');
      const err = await rejection(listenUnix(name));
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err.message).toMatch(/another server is listening on the abstract name @socketlab-/);
    },
  );
});

describe('connectUnix', () => {
  it('explains a missing socket file', async () => {
    const path = join(unixTempDir(), 'nobody.sock');
    const err = await rejection(connectUnix(path));
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toBe(
      `could not connect to ${path}: ENOENT, no socket file there: is the server running, and is the path right?`,
    );
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('refuses a bad path or option synchronously', () => {
    expect(() => connectUnix('')).toThrow(TypeError);
    expect(() => connectUnix(`/tmp/${'x'.repeat(200)}`)).toThrow(RangeError);
    expect(() => connectUnix('/tmp/never.sock', { idleTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => connectUnix('/tmp/never.sock', { connectTimeoutMs: 0 })).toThrow(
      new RangeError('connectTimeoutMs must be an integer from 1 to 2147483647, got 0'),
    );
  });

  it('resolves with a TcpConnection that half-closes, and names the path in its messages', async () => {
    const path = join(unixTempDir(), 'conn.sock');
    const unix = await listen(path);
    unix.server.on('connection', (socket) => {
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => socket.end(`got ${chunk.toString()}`));
    });
    const conn = await connectUnix(path);
    onTestFinished(() => conn.destroy());
    expect(conn).toBeInstanceOf(TcpConnection);
    expect(conn.peerName).toBe(path);
    expect([conn.remoteAddress, conn.remotePort]).toEqual(['', 0]);
    await conn.write('ping');
    let reply = '';
    for await (const chunk of conn) reply += chunk.toString();
    expect(reply).toBe('got ping');
    await withTimeout(conn.end(), "our FIN after the server's");
    expect(conn.closeReason).toBe('end');
    const err = await rejection(conn.write('late'));
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(
      new RegExp(`^cannot write to ${path}: end\\(\\) was already called`),
    );
  });

  it('names an abstract peer with an @', async () => {
    if (process.platform !== 'linux') return;
    const name = `\0socketlab-conn-${process.pid}-${Date.now()}`;
    await listen(name);
    const conn = await connectUnix(name);
    onTestFinished(() => conn.destroy());
    expect(conn.peerName).toBe(`the abstract name @${name.slice(1)}`);
  });
});

describe('framing over a Unix socket', () => {
  it('echoes frames of every size through FramedSocket on both ends', async () => {
    const path = join(unixTempDir(), 'echo.sock');
    const unix = await listen(path);
    serveFramedEcho(unix.server);
    const client = await connectFramed({ path }, { codec: lengthPrefixCodec() });
    onTestFinished(() => client.destroy());
    for (const size of [0, 1, 1000, 65_536, 1024 * 1024]) {
      const payload = randomBytes(size);
      await client.send(payload);
      const echoed = await withTimeout(client.read(), `the echo of ${size} bytes`, 15_000);
      expect(echoed?.equals(payload), `${size}-byte frame`).toBe(true);
    }
  });

  it('serves many clients at once, each getting its own frames back in order', async () => {
    const path = join(unixTempDir(), 'many.sock');
    const unix = await listen(path);
    serveFramedEcho(unix.server);
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => connectFramed({ path }, { codec: lengthPrefixCodec() })),
    );
    onTestFinished(() => {
      for (const client of clients) client.destroy();
    });
    await withTimeout(
      Promise.all(
        clients.map(async (client, c) => {
          const sent = Array.from({ length: 10 }, (_, i) => Buffer.from(`client ${c} frame ${i}`));
          for (const frame of sent) await client.send(frame);
          for (const frame of sent)
            expect((await client.read())?.toString()).toBe(frame.toString());
        }),
      ),
      '20 clients to get their echoes',
      15_000,
    );
  });

  it('runs the framed echo server on a path: a hostile client is dropped, a good one is served', async () => {
    const path = join(unixTempDir(), 'framed.sock');
    const server = await listenFramedEchoServer({ framing: 'length', path, maxFrameBytes: 1024 });
    onTestFinished(() => server.close());
    expect(server.describeAddress()).toBe(path);
    const good = await connectFramed({ path }, { codec: lengthPrefixCodec() });
    onTestFinished(() => good.destroy());
    const hostile = await connectUnix(path); // the server resets it: that is the point
    onTestFinished(() => hostile.destroy());
    const reported = nextEvent<[Error]>(server, 'clientError', 15_000);
    await hostile.write(Buffer.from([0xff, 0xff, 0xff, 0xff])); // a 4 GiB length, over maxFrameBytes
    await good.send(Buffer.from('still here'));
    const [[err], echoed] = await Promise.all([
      reported,
      withTimeout(good.read(), 'the good echo'),
    ]);
    expect((err as ConnectionError).code).toBe('TCPUDP_ERR_FRAME_TOO_LARGE');
    expect(echoed?.toString()).toBe('still here');
    await withTimeout(untilPeerCloses(hostile), 'the hostile client to be closed');
  });
});
