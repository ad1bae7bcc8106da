/**
 * A chat member that vanishes without FIN — power loss, a pulled cable: its TCP connection stays
 * "open" and silent. Stage 2's impaired proxy plays it: every byte either way is held for a
 * minute, and no FIN or RST ever comes. The chat's heartbeat pings it, hears nothing, cuts it and
 * tells the room; the members who answer their pings stay and keep chatting.
 */
import { once } from 'node:events';
import net from 'node:net';
import { listenImpairedTcpProxy } from '@socketlab/tcp-udp';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { RoomChatMember } from '../../src/chat/index.ts';
import type { ManagedConnection, MultiplexingError } from '../../src/index.ts';
import { startChat } from './chat.ts';

/** A member program: answers every ping with /pong and keeps every other line it receives. */
async function answeringMember(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  onTestFinished(() => {
    socket.destroy();
  });
  await withTimeout(once(socket, 'connect'), 'a member connection');
  const lines: string[] = [];
  let pings = 0;
  let partial = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.startsWith('! ping:')) {
        pings++;
        socket.write('/pong\n');
      } else lines.push(line);
    }
  });
  const nick = await pollUntil(
    () => /^\* welcome, you are (\S+),/.exec(lines[0] ?? '')?.[1],
    'the welcome line',
  );
  const hear = (line: string): Promise<string[]> =>
    pollUntil(() => lines.includes(line) && lines, `"${line}"`, { ms: 10_000 });
  return { socket, lines, nick, hear, pings: () => pings };
}

describe('a member that vanishes without FIN', () => {
  it('is pinged, cut after the missed heartbeats, and its room is told; the others stay', async () => {
    const chat = await startChat({ heartbeatIntervalMs: 100, maxMissedHeartbeats: 3 });
    const proxy = await listenImpairedTcpProxy({
      target: { host: '127.0.0.1', port: chat.address.port },
      delayMs: 60_000, // both ways: nothing it sends arrives, nothing we send reaches it
    });
    onTestFinished(() => proxy.close());
    const alice = await answeringMember(chat.address.port);
    const vanished = net.connect({ host: '127.0.0.1', port: proxy.address.port });
    onTestFinished(() => {
      vanished.destroy();
    });
    vanished.on('error', () => {});
    await pollUntil(() => chat.manager.size === 2, 'the vanished member admitted');
    const member = [...chat.manager.connections].at(-1) as ManagedConnection<RoomChatMember>;
    const gone = member.metadata.nick;
    await alice.hear(`* ${gone} joined #lobby`);

    const [reason, error] = (await withTimeout(
      once(member, 'close'),
      'the vanished member cut',
      10_000,
    )) as [string, MultiplexingError | undefined];
    // The chat cut it itself (the manager runs no pings on raw TCP), and says why as the manager would.
    expect(reason).toBe('heartbeat-missed');
    expect(error?.code).toBe('MULTIPLEXING_ERR_HEARTBEAT_MISSED');
    expect((await member.closed).cut).toBe(true);
    const heard = await alice.hear(`* ${gone} left #lobby (heartbeat-missed)`);
    expect(heard.filter((line) => line.startsWith(`* ${gone} left`))).toHaveLength(1);
    expect(chat.rooms()).toEqual({ lobby: [alice.nick] });
    // Alice was pinged too whenever she was quiet, answered, and is still here.
    expect(alice.pings()).toBeGreaterThan(0);
    const bob = await answeringMember(chat.address.port);
    await alice.hear(`* ${bob.nick} joined #lobby`);
    bob.socket.write('anyone?\n');
    await alice.hear(`<${bob.nick}> anyone?`);
    expect(chat.manager.size).toBe(2);
  }, 30_000);
});
