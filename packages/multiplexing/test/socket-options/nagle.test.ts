import { describe, expect, it, onTestFinished } from 'vitest';
import { listenHalvesServer, median, writeWriteReadLatencies } from './write-write-read.ts';

describe('noDelay (Nagle) on a write-write-read exchange', () => {
  it('makes the median round trip far shorter than with Nagle on', async () => {
    const server = await listenHalvesServer();
    onTestFinished(server.close);
    // With Nagle on, each body waits for the header's delayed ACK (~40 ms on Linux); with noDelay
    // it leaves at once. A relative comparison: the machine may be slow, the ratio stays large.
    const nagle = await writeWriteReadLatencies(server.port, false, 20);
    const noDelay = await writeWriteReadLatencies(server.port, true, 20);
    const shown = `Nagle on: ${nagle.map((ms) => ms.toFixed(2)).join(' ')}\nnoDelay: ${noDelay.map((ms) => ms.toFixed(2)).join(' ')}`;
    expect(median(nagle), shown).toBeGreaterThan(5 * median(noDelay));
  });
});
