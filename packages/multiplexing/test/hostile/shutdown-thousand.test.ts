/**
 * A graceful shutdown with 1,000 clients connected: every one of them reads the shutdown notice
 * as its last line, after everything said before it, and the drain report counts 1,000 drained
 * and none cut. (They spread over 50 rooms, as a real crowd would, so the join notices stay a
 * few tens of thousands of lines rather than half a million in one lobby.)
 */
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { type RecordingClient, recordingClient } from '../helpers/clients.ts';
import { startChat } from './chat.ts';

const CLIENTS = 1_000;
const ROOMS = 50;
const NOTICE = '! MULTIPLEXING_ERR_SHUTDOWN the chat server is shutting down; reconnect later';

describe('a graceful shutdown with 1,000 clients connected', () => {
  it('tells every client, drains all 1,000 and cuts none', async () => {
    const chat = await startChat({
      maxConnections: CLIENTS,
      maxConnectionsPerAddress: CLIENTS,
      closeTimeoutMs: 15_000, // a bound only: a drained client closes as soon as it reads the end
    });
    const clients: RecordingClient[] = [];
    const started = Date.now();
    for (let wave = 0; wave < CLIENTS / 100; wave++) {
      const joined = await withTimeout(
        Promise.all(Array.from({ length: 100 }, () => recordingClient(chat.address.port))),
        `wave ${wave} of 100 connections`,
        20_000,
      );
      for (const client of joined) {
        client.socket.write(`/join r${clients.length % ROOMS}\n`);
        clients.push(client);
      }
    }
    await pollUntil(
      () => chat.manager.size === CLIENTS && (chat.rooms().lobby ?? []).length === 0,
      'all 1,000 admitted and in their rooms',
      { ms: 20_000, intervalMs: 20, maxTries: 1_000 },
    );
    // The last thing said before the shutdown: every member of r7 must get it before the notice.
    const speaker = clients[7];
    speaker?.socket.write('last words\n');
    await pollUntil(
      () => clients[ROOMS + 7]?.text().includes('> last words\n'),
      'the last words heard',
    );

    const connected = Date.now();
    const report = await withTimeout(chat.close(), 'the shutdown', 20_000);
    console.info(
      `1,000 clients: connected in ${connected - started} ms, shut down in ${Math.round(report.durationMs)} ms`,
    );
    expect(report.cut).toEqual([]);
    expect(report.drained).toHaveLength(CLIENTS);
    expect(report.drained.every((entry) => entry.unsentBytes === 0)).toBe(true);
    await withTimeout(Promise.all(clients.map((c) => c.ended)), 'every client to see the end');
    const lastLines = clients.map((c) => c.text().trimEnd().split('\n').at(-1));
    expect(lastLines.filter((line) => line !== NOTICE)).toEqual([]);
    const r7 = clients.filter((_, i) => i % ROOMS === 7 && i !== 7); // not the speaker itself
    for (const client of r7) expect(client.text()).toContain('> last words\n');
  }, 60_000);
});
