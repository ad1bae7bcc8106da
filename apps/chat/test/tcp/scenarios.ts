import { roomChatLines } from '@socketlab/multiplexing';
import { pollUntil } from '@socketlab/testkit';
import { connectSocketIo } from '@socketlab/testkit/socket-io';
import type { Server } from 'socket.io';
import type { Socket } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ChatAnswer, ChatMessage, Joined } from '../../src/contract.ts';
import { startTcpGateway, type TcpGateway } from '../../src/tcp/index.ts';
import type { TcpGatewayLimits } from '../../src/tcp/options.ts';
import { connectNc } from './nc.ts';

/** A chat server speaking contract.ts, started for one test and closed when it ends. */
export interface ServerUnderTest {
  readonly url: string;
  // biome-ignore lint/suspicious/noExplicitAny: the real app's and the stand-in's socket data differ
  readonly io: Server<any, any, any, any>;
  /** A token for the gateway's users (`via: 'tcp'` where the server tells them apart). */
  tcpToken(nick: string): Promise<string>;
  /** A token for a page's user. */
  webToken(nick: string): Promise<string>;
}

/** Refuses new Socket.IO connections while `blocked.on` (a middleware after the server's own). */
function blocker(server: ServerUnderTest): { on: boolean } {
  const blocked = { on: false };
  server.io.use((_socket, next) => (blocked.on ? next(new Error('blocked by the test')) : next()));
  return blocked;
}

async function setup(
  start: () => Promise<ServerUnderTest>,
  limits: Partial<TcpGatewayLimits> = {},
): Promise<{ server: ServerUnderTest; gateway: TcpGateway; port: number }> {
  const server = await start();
  const gateway = await startTcpGateway({
    host: '127.0.0.1',
    port: 0,
    serverUrl: server.url,
    issueToken: (nick) => server.tcpToken(nick),
    limits: { reconnectDelayMs: 20, reconnectDelayMaxMs: 100, ...limits },
  });
  onTestFinished(() => gateway.close());
  return { server, gateway, port: gateway.address.port };
}

/** A page's user: a Socket.IO client of the server, joined to `room`. */
async function webUser(server: ServerUnderTest, nick: string, room: string): Promise<Socket> {
  const socket = await connectSocketIo(server.url, `a web user ${nick}`, {
    auth: { token: await server.webToken(nick) },
  });
  const joined: ChatAnswer<Joined> = await socket.timeout(5000).emitWithAck('join', { room });
  expect(joined.ok).toBe(true);
  return socket;
}

/** The gateway's behaviour over real TCP, against the chat server `start` makes. */
export function describeGateway(label: string, start: () => Promise<ServerUnderTest>): void {
  describe(`the nc gateway (${label})`, () => {
    it('lets two nc users chat, move between rooms, rename, act and quit', async () => {
      const { port } = await setup(start);
      const a = await connectNc(port);
      await a.waitFor(/^\* welcome, you are guest1, in #lobby \(1 here\)/);
      const b = await connectNc(port);
      await b.waitFor(/^\* welcome, you are guest2, in #lobby \(2 here\)/);
      await a.waitFor('* guest2 joined #lobby');

      await a.say('hello from a');
      await b.waitFor('<guest1> hello from a');

      await a.say('/join #dev');
      await a.waitFor('* you are in #dev (1 here): guest1');
      await b.waitFor('* guest1 left #lobby');
      await b.say('/join dev');
      await b.waitFor('* you are in #dev (2 here): guest1, guest2');
      await a.waitFor('* guest2 joined #dev');
      await a.say('/who');
      await a.waitFor('* in #dev (2): guest1, guest2');

      await b.say('/me waves');
      await a.waitFor('* guest2 waves');
      await b.waitFor('* guest2 waves');

      await b.say('/nick Bob');
      await b.waitFor('* you are now Bob');
      await a.say('/nick bob');
      await a.waitFor('! nick bob is taken: choose another');
      await b.say('still here');
      await a.waitFor('<Bob> still here');

      await a.say('/leave');
      await a.waitFor('* you are in #lobby (1 here): guest1');
      await a.say('/quit');
      await a.waitFor('* bye');
      await a.closed();
      // b never saw its own text line echoed
      expect(b.lines).not.toContain('<Bob> still here');
    });

    it('carries lines both ways between an nc user and a page user', async () => {
      const { server, port } = await setup(start);
      const page = await webUser(server, 'alice', 'lobby');
      const got: ChatMessage[] = [];
      page.on('message', (message: ChatMessage) => got.push(message));
      const nc = await connectNc(port);
      await nc.waitFor(/^\* welcome, you are guest1, in #lobby \(2 here\)/);
      await nc.say('hi alice');
      await pollUntil(() => got.find((m) => m.text === 'hi alice'), 'the nc line on the page');
      await nc.say('bell\u0007 and escape\u001b[2J');
      await pollUntil(
        () => got.find((m) => m.text === 'bell\ufffd and escape\ufffd[2J'),
        'the nc line, control characters replaced, on the page',
      );
      expect(got[0]).toMatchObject({ from: { nick: 'guest1' }, kind: 'text', room: 'lobby' });
      await page.timeout(5000).emitWithAck('send', { room: 'lobby', text: 'hi nc\u001b[31m' });
      await nc.waitFor('<alice> hi nc\ufffd[31m');
      page.disconnect();
      await nc.waitFor('* alice left #lobby');
    });

    it('warns a flooder, then closes it with a reason, while another user keeps its lines', async () => {
      const { port } = await setup(start, {
        maxMessagesPerSecond: 1,
        maxMessageBurst: 3,
        maxFloodLines: 5,
      });
      const calm = await connectNc(port);
      await calm.waitFor(/^\* welcome/);
      const flooder = await connectNc(port);
      await flooder.waitFor(/^\* welcome/);
      await flooder.wire.send(Array.from({ length: 20 }, (_, i) => `spam ${i}\n`).join(''));
      await flooder.waitFor(/^! too fast: over 1 lines per second \(burst 3\)/);
      const last = await flooder.closed();
      expect(last.at(-1)).toBe(roomChatLines.flooded(5, 1).trimEnd());
      await calm.waitFor('<guest2> spam 2');
      await calm.waitFor('* guest2 left #lobby');
      const third = await connectNc(port);
      await third.waitFor(/^\* welcome/);
      await third.say('still fine');
      await calm.waitFor('<guest3> still fine');
    });

    it('closes a 1 MB line without a newline with a reason', async () => {
      const { port, gateway } = await setup(start);
      const nc = await connectNc(port);
      await nc.waitFor(/^\* welcome/);
      nc.wire.socket.write(Buffer.alloc(1024 * 1024, 0x61));
      const last = await nc.closed();
      expect(last.at(-1)).toBe(roomChatLines.lineTooLong(8192).trimEnd());
      await pollUntil(() => gateway.size === 0, 'the connection to be gone');
    });

    it('opens and closes 100 connections and keeps nothing of them', {
      timeout: 120_000,
    }, async () => {
      const { server, gateway, port } = await setup(start);
      const started = performance.now();
      // N users in one room make N²/2 presence lines (100: 5,000): enough to show nothing is kept,
      // bounded for a loaded machine.
      const users = await Promise.all(Array.from({ length: 100 }, () => connectNc(port, 45_000)));
      await Promise.all(users.map((user) => user.waitFor(/^\* welcome/, 45_000)));
      const opened = performance.now();
      expect(gateway.size).toBe(100);
      for (const user of users) user.wire.close();
      await pollUntil(() => gateway.size === 0, 'every nc connection gone', { ms: 20_000 });
      await pollUntil(
        async () => (await server.io.fetchSockets()).length === 0,
        'every Socket.IO client gone',
        { ms: 20_000 },
      );
      console.log(
        `100 nc users: welcomed in ${Math.round(opened - started)} ms, gone in ${Math.round(performance.now() - opened)} ms`,
      );
    });

    it('reconnects a dropped server connection and shows what was missed meanwhile', async () => {
      const { server, port } = await setup(start);
      const page = await webUser(server, 'alice', 'lobby');
      const nc = await connectNc(port);
      await nc.waitFor(/^\* welcome/);
      await page.timeout(5000).emitWithAck('send', { room: 'lobby', text: 'one' });
      await nc.waitFor('<alice> one');

      const blocked = blocker(server);
      blocked.on = true; // the gateway cannot come back until the missed lines are sent
      const gatewaySockets = (await server.io.fetchSockets()).filter(
        (s) => s.data.user.nick === 'guest1',
      );
      for (const socket of gatewaySockets) socket.disconnect(true);
      await nc.waitFor(/^! lost the chat server \(io server disconnect\); reconnecting/);
      await page.timeout(5000).emitWithAck('send', { room: 'lobby', text: 'two' });
      await page.timeout(5000).emitWithAck('send', { room: 'lobby', text: 'three' });
      blocked.on = false;

      await nc.waitFor('* reconnected, back in #lobby; 2 missed messages:');
      await nc.waitFor('<alice> two');
      await nc.waitFor('<alice> three');
      await page.timeout(5000).emitWithAck('send', { room: 'lobby', text: 'four' });
      await nc.waitFor('<alice> four');
      expect(nc.lines.filter((line) => line === '<alice> one')).toHaveLength(1);
    });

    it('refuses a line that is not UTF-8, and sends the last line of an nc -N user', async () => {
      const { server, port } = await setup(start);
      const page = await webUser(server, 'alice', 'lobby');
      const got: ChatMessage[] = [];
      page.on('message', (message: ChatMessage) => got.push(message));
      const nc = await connectNc(port);
      await nc.waitFor(/^\* welcome/);
      await nc.wire.send(Buffer.from([0x68, 0xff, 0x0a]));
      await nc.waitFor('! the line is not valid UTF-8; it was ignored');
      await nc.wire.send('no newline at the end');
      nc.wire.end();
      await pollUntil(
        () => got.find((m) => m.text === 'no newline at the end'),
        'the last line on the page',
      );
    });

    it('disconnects the nc user, with the reason, when the server puts it out', async () => {
      const { server, port } = await setup(start);
      const nc = await connectNc(port);
      await nc.waitFor(/^\* welcome/);
      const [socket] = (await server.io.fetchSockets()).filter(
        (s) => s.data.user.nick === 'guest1',
      );
      socket?.emit('notice', { code: 'REALTIME_ERR_RATE_LIMITED', reason: 'you were flooding' });
      socket?.disconnect(true);
      await nc.waitFor('! REALTIME_ERR_RATE_LIMITED you were flooding');
      expect((await nc.closed()).at(-1)).toBe(
        '! REALTIME_ERR_RATE_LIMITED you were flooding; closing your connection',
      );
    });

    it('tells a user the gateway cannot get a token for, and closes', async () => {
      const server = await start();
      const gateway = await startTcpGateway({
        host: '127.0.0.1',
        port: 0,
        serverUrl: server.url,
        issueToken: () => Promise.reject(new Error('no guests today')),
      });
      onTestFinished(() => gateway.close());
      const nc = await connectNc(gateway.address.port);
      expect(await nc.closed()).toEqual([
        '! REALTIME_ERR_AUTH no guests today; closing your connection',
      ]);
    });

    it('refuses the connection past maxConnections out loud, and closes idle users', async () => {
      const { port } = await setup(start, { maxConnections: 1, idleTimeoutMs: 300 });
      const first = await connectNc(port);
      await first.waitFor(/^\* welcome/);
      const second = await connectNc(port);
      expect((await second.closed()).at(-1)).toMatch(/^MULTIPLEXING_ERR_LIMIT_EXCEEDED refused: /);
      // Nothing more from the first: the manager's idle timeout closes it, saying why.
      expect((await first.closed()).at(-1)).toBe(
        'MULTIPLEXING_ERR_IDLE_TIMEOUT nothing received for 300 ms; closing',
      );
    });

    it('tells every nc user the server is shutting down on close()', async () => {
      const { gateway, port } = await setup(start);
      const a = await connectNc(port);
      const b = await connectNc(port);
      await a.waitFor(/^\* welcome/);
      await b.waitFor(/^\* welcome/);
      await gateway.close();
      for (const user of [a, b]) {
        expect((await user.closed()).at(-1)).toBe(roomChatLines.shutdown().trimEnd());
      }
    });
  });
}
