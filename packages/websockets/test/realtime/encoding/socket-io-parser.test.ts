import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trapUncaughtErrors, withTimeout } from '@socketlab/testkit';
import { RealtimeError } from '@socketlab/websockets/realtime';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createJsonCodec,
  createMsgpackCodec,
  createSocketIoParser,
  type SocketIoParser,
} from '../../../src/realtime/index.ts';
import { CHAT, schemaCodec } from './fixtures.ts';

const PARSERS: [string, () => SocketIoParser][] = [
  ['json', () => createSocketIoParser(createJsonCodec())],
  ['msgpack', () => createSocketIoParser(createMsgpackCodec())],
  ['schema', () => createSocketIoParser(schemaCodec())],
];

interface Rig {
  io: Server;
  url: string;
  serverErrors: unknown[];
  disconnects: string[];
  client(room: string, transports?: string[]): Promise<Socket>;
}

/** A server that joins each socket to the room its auth names, relays chat to it, and answers uploads. */
async function rig(parser: SocketIoParser): Promise<Rig> {
  const http = createServer();
  const io = new Server(http, { parser });
  onTestFinished(() => new Promise<void>((resolve) => io.close(() => resolve())));
  const serverErrors: unknown[] = [];
  const disconnects: string[] = [];
  io.on('connection', (socket: ServerSocket) => {
    socket.join(String(socket.handshake.auth.room));
    socket.on('error', (error) => serverErrors.push(error));
    socket.on('disconnect', (reason) => disconnects.push(reason));
    socket.on('chat', (message: typeof CHAT, ack?: (reply: unknown) => void) => {
      io.to(message.room).emit('chat', message);
      ack?.({ ok: true, room: message.room });
    });
    socket.on('upload', (file: { name: string; data: Uint8Array }, ack: (r: unknown) => void) => {
      ack({
        name: file.name,
        size: file.data.byteLength,
        reversed: Buffer.from(file.data).reverse(),
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    io,
    url,
    serverErrors,
    disconnects,
    async client(room, transports = ['websocket']) {
      const socket = connect(url, {
        parser,
        transports,
        forceNew: true,
        reconnection: false,
        auth: { room },
      });
      onTestFinished(() => {
        socket.disconnect();
      });
      await next(socket, 'connect');
      return socket;
    },
  };
}

/** The next `event` on a client socket (not a Node EventEmitter), bounded. */
function next<T extends unknown[] = unknown[]>(socket: Socket, event: string): Promise<T> {
  return withTimeout(
    new Promise<T>((resolve) => socket.once(event, (...args: unknown[]) => resolve(args as T))),
    `'${event}' on a client`,
  );
}

const chatIn = (room: string) => ({ ...CHAT, room });

describe.each(PARSERS)(
  'createSocketIoParser(%s codec) between a real server and clients',
  (name, make) => {
    it('exchanges events with acks, and byte arrays both ways', async () => {
      const { client } = await rig(make());
      const alice = await client('lobby');
      const reply = await alice.timeout(5_000).emitWithAck('chat', chatIn('lobby'));
      expect(reply).toEqual({ ok: true, room: 'lobby' });
      const data = new Uint8Array([1, 2, 3, 250]);
      const upload = (await alice
        .timeout(5_000)
        .emitWithAck('upload', { name: 'f.bin', data })) as {
        name: string;
        size: number;
        reversed: Uint8Array;
      };
      expect(upload.name).toBe('f.bin');
      expect(upload.size).toBe(4);
      expect([...upload.reversed]).toEqual([250, 3, 2, 1]);
    });

    it('broadcasts to a room and only to it', async () => {
      const { client } = await rig(make());
      const alice = await client('lobby');
      const bob = await client('lobby');
      const carol = await client('kitchen');
      const carolGot: unknown[] = [];
      carol.on('chat', (message) => carolGot.push(message));
      const bobGets = next<[typeof CHAT]>(bob, 'chat');
      const aliceGets = next<[typeof CHAT]>(alice, 'chat');
      await alice.timeout(5_000).emitWithAck('chat', chatIn('lobby'));
      expect((await bobGets)[0]).toEqual(chatIn('lobby'));
      expect((await aliceGets)[0]).toEqual(chatIn('lobby'));
      // The broadcast was written before carol's own reply: had it gone to her, it came first.
      await carol.timeout(5_000).emitWithAck('chat', chatIn('kitchen'));
      expect(carolGot).toEqual([chatIn('kitchen')]);
    });

    it('carries a namespace other than "/", a server-side disconnect, and a refused connection', async () => {
      const parser = make();
      const r = await rig(parser);
      r.io.of('/admin').on('connection', (socket) => {
        socket.on('chat', (message: typeof CHAT, ack: (reply: unknown) => void) => {
          ack({ ok: true, room: message.room });
          socket.disconnect();
        });
      });
      r.io.of('/locked').use((_, next) => next(new RealtimeError('REALTIME_ERR_AUTH', 'no entry')));
      const options = { parser, transports: ['websocket'], forceNew: true, reconnection: false };

      const admin = connect(`${r.url}/admin`, options);
      onTestFinished(() => {
        admin.disconnect();
      });
      await next(admin, 'connect');
      const dropped = next<[string]>(admin, 'disconnect');
      expect(await admin.timeout(5_000).emitWithAck('chat', chatIn('ops'))).toEqual({
        ok: true,
        room: 'ops',
      });
      expect((await dropped)[0]).toBe('io server disconnect');

      const locked = connect(`${r.url}/locked`, options);
      onTestFinished(() => {
        locked.disconnect();
      });
      const [error] = await next<[Error & { data?: unknown }]>(locked, 'connect_error');
      expect(error.message).toBe('no entry');
      expect(error.data).toEqual({ code: 'REALTIME_ERR_AUTH', reason: 'no entry' });
    });

    it('carries binary over HTTP long-polling too', async () => {
      const { client } = await rig(make());
      const polling = await client('lobby', ['polling']);
      const data = new Uint8Array([0, 255, 7]);
      const upload = (await polling.timeout(5_000).emitWithAck('upload', { name: 'p', data })) as {
        size: number;
      };
      expect(upload.size).toBe(3);
    });

    it.each([
      ['random bytes', () => Buffer.from([0xc1, 0xff, 0x00, 0x13, 0x37])],
      ['a text message', () => 'not binary'],
      ['an empty message', () => new Uint8Array(0)],
    ])('disconnects a client that sends %s, and serves the others on', async (_, garbage) => {
      const trap = trapUncaughtErrors();
      onTestFinished(() => trap.restore());
      const r = await rig(make());
      const alice = await r.client('lobby');
      const mallory = await r.client('lobby');
      const gone = next<[string]>(mallory, 'disconnect');
      mallory.io.engine.send(garbage() as never);
      expect((await gone)[0]).toBe('transport close');
      expect(r.serverErrors).toHaveLength(1);
      expect(r.serverErrors[0]).toBeInstanceOf(RealtimeError);
      expect((r.serverErrors[0] as RealtimeError).code).toBe('REALTIME_ERR_ENCODING');
      expect(r.disconnects).toEqual(['forced close']);
      expect(await alice.timeout(5_000).emitWithAck('chat', chatIn('lobby'))).toEqual({
        ok: true,
        room: 'lobby',
      });
      const late = await r.client('lobby');
      expect(await late.timeout(5_000).emitWithAck('chat', chatIn('lobby'))).toEqual({
        ok: true,
        room: 'lobby',
      });
      expect(trap.errors).toEqual([]);
    });

    it('refuses a well-encoded packet of the wrong shape (a reserved event name) without a crash', async () => {
      const trap = trapUncaughtErrors();
      onTestFinished(() => trap.restore());
      const parser = make();
      const r = await rig(parser);
      const mallory = await r.client('lobby');
      const gone = next<[string]>(mallory, 'disconnect');
      const codec = name === 'json' ? createJsonCodec() : createMsgpackCodec();
      const bad = codec.encode({ type: 2, nsp: '/', data: ['disconnect', 'x'] });
      // A schema parser reads a fallback packet after a 0 tag byte.
      mallory.io.engine.send(
        (name === 'schema' ? Buffer.concat([Uint8Array.of(0), bad]) : bad) as never,
      );
      await gone;
      expect((r.serverErrors[0] as RealtimeError).message).toMatch(/not reserved|without a schema/);
      expect(trap.errors).toEqual([]);
    });
  },
);

describe('a client whose Decoder refuses what the server sent', () => {
  it("closes with 'parse error', and the server serves the others on", async () => {
    const r = await rig(createSocketIoParser(createMsgpackCodec()));
    const alice = await r.client('lobby');
    const bob = await r.client('lobby');
    const gone = next<[string]>(bob, 'disconnect');
    const bobOnServer = r.io.of('/').sockets.get(bob.id as string);
    expect(bobOnServer).toBeDefined();
    bobOnServer?.conn.send(Buffer.from([0xc1]));
    expect((await gone)[0]).toBe('parse error');
    expect(await alice.timeout(5_000).emitWithAck('chat', chatIn('lobby'))).toEqual({
      ok: true,
      room: 'lobby',
    });
  });
});

describe('createSocketIoParser(schema codec)', () => {
  it('refuses to emit an event without a schema, unless allowUnknownEvents', async () => {
    const strict = await rig(createSocketIoParser(schemaCodec()));
    const alice = await strict.client('lobby');
    expect(() => alice.emit('whatever', 1)).toThrow(/has no schema/);

    const loose = createSocketIoParser(schemaCodec(), { allowUnknownEvents: true });
    const open = await rig(loose);
    open.io.on('connection', (socket) =>
      socket.on('whatever', (n: number, ack: (m: number) => void) => ack(n + 1)),
    );
    const bob = await open.client('lobby');
    expect(await withTimeout(bob.timeout(5_000).emitWithAck('whatever', 1), 'ack')).toBe(2);
  });

  it('refuses an ack id past the u32 of its envelope with REALTIME_ERR_ENCODING', () => {
    const { Encoder } = createSocketIoParser(schemaCodec());
    const packet = { type: 2, nsp: '/', data: ['ack', { seq: 1, ok: true }], id: 2 ** 32 };
    expect(() => new Encoder().encode(packet)).toThrow(/does not fit/);
  });

  it('puts a schema event in one small message: tag, namespace, ack id, header, fields', () => {
    const { Encoder, Decoder } = createSocketIoParser(schemaCodec());
    const [bytes] = new Encoder().encode({
      type: 2,
      nsp: '/',
      data: ['ack', { seq: 1, ok: true }],
      id: 7,
    });
    expect(Buffer.from(bytes as Uint8Array).toString('hex')).toBe(
      '02' + '012f' + '00000007' + '000401' + '00000001' + '01',
    );
    const decoder = new Decoder();
    const packets: unknown[] = [];
    decoder.on('decoded', (packet) => packets.push(packet));
    decoder.add(bytes);
    expect(packets).toEqual([{ type: 2, nsp: '/', data: ['ack', { seq: 1, ok: true }], id: 7 }]);
  });
});
