/**
 * TCP keeps bytes, UDP keeps messages: send the same ten messages both ways on loopback and
 * print what each receiver actually got.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/boundaries.ts [--uncorked] [--burst] [--ipv6]
 *
 * --uncorked  write the TCP messages one at a time instead of corked together
 * --burst     fire 1,000 datagrams at once and watch loopback drop some of them
 * --ipv6      use ::1 instead of 127.0.0.1
 */
import {
  compareBoundaries,
  describeSocketType,
  formatBoundaryComparison,
  probeDatagramSize,
} from '@socketlab/basics';

const flags = new Set(process.argv.slice(2));
const host = flags.has('--ipv6') ? '::1' : '127.0.0.1';
const burst = flags.has('--burst');
const messages = burst
  ? Array.from({ length: 1_000 }, (_, i) => `datagram ${i}`)
  : Array.from({ length: 10 }, (_, i) => `message ${i}\n`);

console.log(describeSocketType('STREAM'));
console.log(describeSocketType('DGRAM'));
console.log();

const result = await compareBoundaries({
  messages,
  host,
  cork: !flags.has('--uncorked'),
  udpBurst: burst,
});
console.log(formatBoundaryComparison(result));
console.log();

const limit = host === '::1' ? 65_527 : 65_507;
for (const size of [limit, limit + 1]) {
  const probe = await probeDatagramSize(size, { host });
  console.log(`UDP datagram of ${size} bytes: ${probe.outcome}. ${probe.explanation}`);
}
