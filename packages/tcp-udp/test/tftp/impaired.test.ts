import { describe, expect, it, onTestFinished } from 'vitest';
import { listenImpairedUdpLink } from '../../src/impaired/udp-link.ts';
import { tftpGet } from '../../src/tftp/client.ts';
import { sha256, startTftpServer, tftpRoot } from '../helpers/tftp-files.ts';

// TFTP through a UDP proxy that loses and duplicates datagrams on purpose, seeded: a failure
// prints the seed, and SEED=<n> replays that exact run.
const SEED = Number(process.env.SEED ?? 20_261_122);

async function throughLink(
  port: number,
  options: { loss: number; duplicate: number; reorder?: number; seed: number },
) {
  const link = await listenImpairedUdpLink({ target: { host: '127.0.0.1', port }, ...options });
  onTestFinished(() => link.close());
  return link;
}

describe('TFTP through an impaired link (seeded)', () => {
  it.each([
    ['10% loss and 10% duplication, 512-byte blocks', { loss: 0.1, duplicate: 0.1 }, 30_000, 512],
    [
      '10% loss, 10% duplication, 5% reordering, blksize 1024',
      { loss: 0.1, duplicate: 0.1, reorder: 0.05 },
      40_000,
      1024,
    ],
    [
      '30% duplication only (the Sorcerer\u2019s Apprentice would double the traffic)',
      { loss: 0, duplicate: 0.3 },
      50_000,
      512,
    ],
  ])('delivers the file intact with %s', async (_, impairment, size, blksize) => {
    const { root, bytes } = await tftpRoot({ 'f.bin': size });
    // With loss, short timeouts keep the run quick. Without loss nothing should ever time out, and
    // a timeout long enough that a loaded machine never reaches it makes the count below exact:
    // every DATA the server sent beyond one per block would answer a duplicate ACK.
    const timeoutMs = impairment.loss > 0 ? 60 : 5_000;
    const { server, port } = await startTftpServer(root, { timeoutMs, retries: 20 });
    const seed = SEED + size;
    const link = await throughLink(port, { ...impairment, seed });
    try {
      const got = await tftpGet(link.address.host, link.address.port, 'f.bin', {
        blksize,
        timeoutMs,
        retries: 20,
      });
      expect(sha256(got)).toBe(sha256(bytes['f.bin'] ?? Buffer.alloc(0)));
      if (impairment.loss > 0)
        expect(link.stats.toTarget.dropped + link.stats.toClient.dropped).toBeGreaterThan(0);
      expect(link.stats.toTarget.duplicated + link.stats.toClient.duplicated).toBeGreaterThan(0);
      if (impairment.loss === 0) {
        // Without loss, nothing times out: a duplicate ACK never causes a second DATA.
        const blocks = Math.floor(size / blksize) + 1;
        expect(link.stats.toClient.received).toBe(blocks);
        expect(server.stats.retransmits).toBe(0);
      }
    } catch (err) {
      throw new Error(
        `failed with seed ${seed} (replay: SEED=${SEED}): ${(err as Error).message}`,
        { cause: err },
      );
    }
  });
});
