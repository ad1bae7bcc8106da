/**
 * One client opens 10,000 connections to a chat that holds 50. The ones past the limit are told
 * why, then closed — never dropped silently — and the two members already chatting keep
 * chatting through the storm. Client and server share this process (`ulimit -n` 20,000), so the
 * storm comes in waves of 250 and each refused socket is closed as soon as it has its answer.
 */
import net from 'node:net';
import { withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { MultiplexingError } from '../../src/index.ts';
import { join, startChat } from './chat.ts';

const STORM = 10_000;
const WAVE = 250;
const MAX_CONNECTIONS = 50;
const REFUSAL = `MULTIPLEXING_ERR_LIMIT_EXCEEDED refused: already holding maxConnections (${MAX_CONNECTIONS}) connections; try again later\n`;

type Outcome = { kind: 'admitted'; text: string } | { kind: 'refused'; text: string };

/** Opens one connection; resolves once it is welcomed (kept open) or closed (with what it got). */
function knock(port: number, admitted: net.Socket[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    let welcomed = false;
    socket.setEncoding('utf8');
    socket.on('error', () => {}); // a reset shows up as a close without the notice: the test fails
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (!welcomed && text.startsWith('* welcome') && text.includes('\n')) {
        welcomed = true;
        admitted.push(socket);
        resolve({ kind: 'admitted', text });
      }
    });
    socket.once('close', () => resolve({ kind: 'refused', text }));
  });
}

describe('a client that opens 10,000 connections', () => {
  it(
    'gets the refusal notice then a close on each one past maxConnections; members keep chatting',
    async () => {
      const chat = await startChat({
        maxConnections: MAX_CONNECTIONS,
        maxConnectionsPerAddress: STORM,
        maxMessagesPerSecond: 1_000, // the flood limit is not what this test is about
      });
      const a = await join(chat.address.port);
      const b = await join(chat.address.port);
      expect(await a.client.readLine()).toBe(`* ${b.nick} joined #lobby`);
      const refusedOnServer: MultiplexingError[] = [];
      chat.manager.on('refused', (error) => refusedOnServer.push(error));
      let mostHeld = 0;
      chat.manager.on('connection', () => {
        mostHeld = Math.max(mostHeld, chat.manager.size);
      });
      const admitted: net.Socket[] = [];
      onTestFinished(() => {
        for (const socket of admitted) socket.destroy();
      });

      const outcomes: Outcome[] = [];
      for (let wave = 0; wave * WAVE < STORM; wave++) {
        outcomes.push(
          ...(await withTimeout(
            Promise.all(Array.from({ length: WAVE }, () => knock(chat.address.port, admitted))),
            `wave ${wave} of ${WAVE} connections`,
            20_000,
          )),
        );
        // A well-behaved member talks during the storm; the other hears every line, in order.
        await a.client.send(`still here after wave ${wave}\n`);
        // (b also hears the first wave's admitted connections join: nothing else.)
        let line = await b.client.readLine(10_000);
        for (let i = 0; i < MAX_CONNECTIONS && / joined #lobby$/.test(line); i++) {
          line = await b.client.readLine(10_000);
        }
        expect(line).toBe(`<${a.nick}> still here after wave ${wave}`);
      }

      const refused = outcomes.filter((o) => o.kind === 'refused');
      expect(outcomes).toHaveLength(STORM);
      expect(admitted).toHaveLength(MAX_CONNECTIONS - 2);
      expect(refused).toHaveLength(STORM - (MAX_CONNECTIONS - 2));
      // Every refused connection got the whole notice before its close: none dropped silently.
      const notTold = refused.filter((o) => o.text !== REFUSAL);
      expect(notTold.slice(0, 3)).toEqual([]);
      expect(refusedOnServer).toHaveLength(refused.length);
      expect(mostHeld).toBe(MAX_CONNECTIONS);
      expect(chat.manager.size).toBe(MAX_CONNECTIONS);
      // The members are still members: a heard the 48 admitted ones join, then b.
      await b.client.send('and me\n');
      const heard: string[] = [];
      for (let i = 0; i <= MAX_CONNECTIONS && heard.at(-1) !== `<${b.nick}> and me`; i++) {
        heard.push(await a.client.readLine());
      }
      expect(heard.filter((line) => / joined #lobby$/.test(line))).toHaveLength(
        MAX_CONNECTIONS - 2,
      );
      expect(heard.at(-1)).toBe(`<${b.nick}> and me`);
    },
    process.env.CI === 'true' ? 180_000 : 60_000,
  ); // 10,000 connects: over 60 s on CI's loaded cores
});
