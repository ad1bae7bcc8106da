import type net from 'node:net';
import { nextEvent, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import type { FramedEchoServer } from '../../src/framing/echo-server.ts';
import type { FramingName } from '../../src/framing/name.ts';
import { codecForFraming } from '../../src/framing/name.ts';
import type { FramedSocket } from '../../src/framing/socket.ts';
import { fromHex } from '../helpers/framing-feed.ts';
import {
  connectClient,
  connectRaw,
  hungUpWithin,
  startEchoServer,
} from '../helpers/framing-peers.ts';

/** `count` request/response round trips; fails on any echo that differs from what was sent. */
async function roundTrips(client: FramedSocket, label: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const payload = Buffer.from(`${label} ${i}`);
    await client.send(payload);
    const echo = await withTimeout(client.read(), `echo ${i} for ${label}`);
    expect(echo?.toString(), `round trip ${i} of ${label}`).toBe(payload.toString());
  }
}

/** Waits for the server's next 'clientError' and returns its error code. */
async function nextClientErrorCode(server: FramedEchoServer): Promise<string> {
  const [err] = await nextEvent<[Error & { code?: string }]>(server, 'clientError');
  return err.code ?? 'no code';
}

/** Writes `chunk` again and again until the server hangs up (bounded). */
async function writeUntilHungUp(socket: net.Socket, chunk: Buffer): Promise<number> {
  socket.on('error', () => {});
  let written = 0;
  for (let i = 0; i < 2_000 && !socket.destroyed && !socket.readableEnded; i++) {
    const ok = await new Promise<boolean>((resolve) => socket.write(chunk, (err) => resolve(!err)));
    if (!ok) break;
    written += chunk.length;
  }
  return written;
}

type Hostile = {
  name: string;
  framing: FramingName;
  code: string;
  act: (socket: net.Socket) => Promise<unknown> | unknown;
};

const HOSTILE: Hostile[] = [
  {
    name: 'HTTP garbage (read as a 1.2 GB length)',
    framing: 'length',
    code: 'TCPUDP_ERR_FRAME_TOO_LARGE',
    act: (s) => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
  },
  {
    name: 'a declared length of 2^32-1 and no body',
    framing: 'length',
    code: 'TCPUDP_ERR_FRAME_TOO_LARGE',
    act: (s) => s.write(fromHex('ffffffff')),
  },
  {
    name: 'a truncated frame, then FIN',
    framing: 'length',
    code: 'TCPUDP_ERR_TRUNCATED',
    act: (s) => s.end(fromHex('00000010 616263')),
  },
  {
    name: 'an abrupt reset in the middle of a frame',
    framing: 'length',
    code: 'TCPUDP_ERR_CONNECTION',
    act: async (s) => {
      // One whole frame and part of the next; once the echo arrives, reset (RST, not FIN).
      const echoed = nextEvent(s, 'data');
      s.write(fromHex('00000001 61 00000010 6162'));
      await echoed;
      s.resetAndDestroy();
    },
  },
  {
    name: 'an 11-byte varint',
    framing: 'varint',
    code: 'TCPUDP_ERR_MALFORMED',
    act: (s) => s.write(fromHex('80808080808080808080 00')),
  },
  {
    name: 'a never-ending line',
    framing: 'line',
    code: 'TCPUDP_ERR_FRAME_TOO_LARGE',
    act: (s) => writeUntilHungUp(s, Buffer.alloc(512, 0x61)),
  },
];

describe('framed echo server against hostile clients', () => {
  it.each(HOSTILE)(
    'closes a client sending $name with $code, and keeps serving a good client',
    async ({ framing, code, act }) => {
      const server = await startEchoServer({ framing, maxFrameBytes: 1024 });
      const good = await connectClient(server, { codec: codecForFraming(framing) });
      await roundTrips(good, 'before', 3);
      const hostile = await connectRaw(server);
      const reported = nextClientErrorCode(server);
      // The good client keeps talking while the hostile one misbehaves.
      await Promise.all([
        roundTrips(good, 'during', 30),
        (async () => {
          await act(hostile);
          await hungUpWithin(hostile, 'the server to hang up on the hostile client');
        })(),
      ]);
      expect(await reported).toBe(code);
      await roundTrips(good, 'after', 3);
      expect(server.connectionCount).toBe(1);
    },
  );

  it('echoes a line that ends with its own CR without closing the client', async () => {
    const server = await startEchoServer({ framing: 'line' });
    const raw = await connectRaw(server);
    let echoed = '';
    raw.on('data', (chunk: Buffer) => {
      echoed += chunk.toString('latin1');
    });
    raw.end('a\r\r\nb\r\n');
    await hungUpWithin(raw, 'the server to echo and end');
    expect(echoed).toBe('a\r\r\nb\n');
  });

  it('closes a client that stays silent past idleTimeoutMs, and only that one', async () => {
    // 1 s, not less: the busy client must never pause that long, even on a loaded 2-core machine.
    const server = await startEchoServer({ framing: 'length', idleTimeoutMs: 1000 });
    const silent = await connectRaw(server);
    const reported = nextClientErrorCode(server);
    const good = await connectClient(server);
    let hungUp = false;
    await Promise.all([
      hungUpWithin(silent, 'the server to close the silent client').then(() => {
        hungUp = true;
      }),
      (async () => {
        // Busy the whole time, so only the silent client is idle.
        for (let i = 0; i < 100_000 && !hungUp; i++) await roundTrips(good, `busy ${i}`, 1);
      })(),
    ]);
    expect(await reported).toBe('TCPUDP_ERR_TIMEOUT');
    await roundTrips(good, 'still served', 2);
  });

  it('drops connections over maxConnections and keeps serving the others', async () => {
    const server = await startEchoServer({ framing: 'line', maxConnections: 1 });
    const first = await connectClient(server, { codec: codecForFraming('line') });
    await roundTrips(first, 'first', 2);
    const reported = nextClientErrorCode(server);
    const second = await connectRaw(server);
    await hungUpWithin(second, 'the server to drop the second connection');
    expect(await reported).toBe('TCPUDP_ERR_LIMIT_EXCEEDED');
    await roundTrips(first, 'first again', 2);
  });

  it('echoes what a client sent before its FIN, then ends the stream', async () => {
    const server = await startEchoServer({ framing: 'length' });
    const client = await connectClient(server);
    const payloads = Array.from({ length: 100 }, (_, i) => Buffer.alloc(i * 37, i));
    for (const payload of payloads) await client.send(payload);
    await client.end();
    const echoed: Buffer[] = [];
    await withTimeout(
      (async () => {
        for await (const frame of client) echoed.push(frame);
      })(),
      'every echo, then the end',
    );
    expect(echoed.map((b) => b.toString('hex'))).toEqual(payloads.map((b) => b.toString('hex')));
  });

  it('closes gracefully: connected clients see the end of the stream', async () => {
    const server = await startEchoServer({ framing: 'line' });
    const client = await connectClient(server, { codec: codecForFraming('line') });
    await roundTrips(client, 'before close', 1);
    const closing = server.close();
    expect(await withTimeout(client.read(), 'the end of the stream')).toBeUndefined();
    await client.end();
    await withTimeout(closing, 'the server to close');
    expect(server.connectionCount).toBe(0);
  });

  it('rejects bad options synchronously', async () => {
    const { listenFramedEchoServer } = await import('../../src/framing/echo-server.ts');
    expect(() => listenFramedEchoServer({ framing: 'json' as FramingName })).toThrow(TypeError);
    expect(() => listenFramedEchoServer({ framing: 'line', port: 70_000 })).toThrow(RangeError);
    expect(() => listenFramedEchoServer({ framing: 'line', maxFrameBytes: -1 })).toThrow(
      RangeError,
    );
    expect(() => listenFramedEchoServer({ framing: 'line', maxConnections: 0 })).toThrow(
      RangeError,
    );
    expect(() => listenFramedEchoServer({ framing: 'line', noDelay: 1 as never })).toThrow(
      /noDelay must be a boolean/,
    );
  });

  it('sets TCP_NODELAY on its connections only when noDelay is true, and echoes either way', async () => {
    for (const noDelay of [true, false]) {
      const server = await startEchoServer({ framing: 'length', noDelay });
      // Node's server applies TCP_NODELAY to every accepted socket when its own noDelay is set.
      expect((Reflect.get(server, 'server') as net.Server & { noDelay: boolean }).noDelay).toBe(
        noDelay,
      );
      await roundTrips(await connectClient(server), `noDelay ${noDelay}`, 3);
    }
  });
});
