/**
 * Socket options with a visible cost: Nagle's algorithm on a write-write-read exchange (a request
 * sent as a 10-byte header and a 10-byte body, a 1-byte reply awaited), one connection with
 * `applySocketOptions(socket, { noDelay: true })` against one with Nagle on (Node's default), in the
 * same run. With Nagle on, the body waits for the header's ACK, which the server delays (~40 ms
 * on Linux); so the ratio is large on any machine. 50 round trips per case (10 with BENCH_QUICK=1),
 * each bounded by 5 s.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts socket-options
 */
import { BENCH_QUICK, type BenchRow } from '@socketlab/testkit';
import {
  listenHalvesServer,
  median,
  writeWriteReadLatencies,
} from '../test/socket-options/write-write-read.ts';

const ROUNDS = BENCH_QUICK ? 10 : 50;

export async function rows(): Promise<BenchRow[]> {
  const server = await listenHalvesServer();
  try {
    // Measured alternately, twice each, so a burst of load on the machine hits both.
    const nagle: number[] = [];
    const noDelay: number[] = [];
    for (let r = 0; r < 2; r++) {
      noDelay.push(...(await writeWriteReadLatencies(server.port, true, ROUNDS)));
      nagle.push(...(await writeWriteReadLatencies(server.port, false, ROUNDS)));
    }
    const perSecond = (latencies: number[]): number =>
      latencies.length / (latencies.reduce((sum, ms) => sum + ms, 0) / 1_000);
    const noDelayRate = perSecond(noDelay);
    const nagleRate = perSecond(nagle);
    const noDelayMedian = median(noDelay.sort((a, b) => a - b));
    const nagleMedian = median(nagle.sort((a, b) => a - b));
    return [
      {
        bench: 'write-write-read noDelay',
        unit: 'round trips/s',
        value: noDelayRate,
        baseline: 'Nagle on',
        baselineValue: nagleRate,
        ratio: noDelayRate / nagleRate,
      },
      {
        bench: 'write-write-read median',
        unit: 'ms (lower is better)',
        value: noDelayMedian,
        baseline: 'Nagle on',
        baselineValue: nagleMedian,
        ratio: noDelayMedian / nagleMedian,
      },
    ];
  } finally {
    await server.close();
  }
}
