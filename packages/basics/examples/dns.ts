/**
 * Resolve names both ways Node offers — getaddrinfo (`lookup`) and a DNS query (`resolve`) —
 * and show where they differ.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/dns.ts [name…] [--server HOST:PORT] [--stall]
 *
 * name            host names to resolve (default: localhost)
 * --server H:P    send the DNS queries to this server instead of the ones in /etc/resolv.conf
 * --stall         time a lookup with an idle thread pool, then behind four busy crypto jobs
 */
import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import {
  type CompareResolutionOptions,
  compareResolution,
  DnsError,
  type DnsOutcome,
  lookupHost,
  resolveHost,
} from '@socketlab/basics';

const args = process.argv.slice(2);
const names: string[] = [];
let server: string | undefined;
for (let i = 0; i < args.length; i++) {
  const arg = args[i] ?? '';
  if (arg === '--server') server = args[++i];
  else if (!arg.startsWith('--')) names.push(arg);
}
if (names.length === 0) names.push('localhost');
const options: CompareResolutionOptions = {
  timeoutMs: 3_000,
  ...(server ? { servers: [server] } : {}),
};

const ms = (value: number): string => `${value.toFixed(1)} ms`;

function show(label: string, outcome: DnsOutcome): void {
  if (!outcome.ok) {
    console.log(`  ${label.padEnd(24)} ✗ ${outcome.error.reason}: ${outcome.error.message}`);
    return;
  }
  const { addresses, elapsedMs } = outcome.result;
  const list = addresses
    .map((a) => `${a.address}${a.ttl === undefined ? '' : ` (ttl ${a.ttl} s)`}`)
    .join(', ');
  console.log(`  ${label.padEnd(24)} ${list || '(none)'}   [${ms(elapsedMs)}]`);
}

for (const name of names) {
  console.log(`${name}`);
  try {
    const comparison = await compareResolution(name, options);
    show('lookup (getaddrinfo)', comparison.lookup);
    show('resolve A (DNS query)', comparison.resolve.A);
    show('resolve AAAA (DNS query)', comparison.resolve.AAAA);
    console.log(`  → ${comparison.summary}`);
  } catch (err) {
    if (!(err instanceof DnsError)) throw err;
    console.log(`  ✗ ${err.message}`);
  }
  console.log();
}

if (args.includes('--stall')) {
  // getaddrinfo runs on libuv's thread pool (UV_THREADPOOL_SIZE threads, 4 by default), shared
  // with fs and crypto. Four slow pbkdf2 calls occupy it; the lookup has to wait its turn.
  const pool = process.env.UV_THREADPOOL_SIZE ?? '4 (the default)';
  const idle = await lookupHost('localhost', { timeoutMs: 30_000 });
  const busy = Array.from({ length: 4 }, (_, i) =>
    promisify(pbkdf2)(`secret ${i}`, 'salt', 100_000, 32, 'sha512'),
  );
  // Meanwhile, a DNS query (c-ares) does not use the pool at all: time it, whatever it answers.
  const started = performance.now();
  const direct = server
    ? resolveHost('localhost', { servers: [server], timeoutMs: 3_000 }).then(
        (result) => `${ms(performance.now() - started)} (${result.addresses.length} addresses)`,
        (err: DnsError) => `${ms(performance.now() - started)} (${err.reason})`,
      )
    : undefined;
  const stalled = await lookupHost('localhost', { timeoutMs: 30_000 });
  console.log(`thread pool: ${pool} threads`);
  console.log(`  lookup localhost, idle pool:          ${ms(idle.elapsedMs)}`);
  console.log(`  lookup localhost, 4 pbkdf2 running:   ${ms(stalled.elapsedMs)}`);
  if (direct) console.log(`  resolve localhost at the same time:   ${await direct}`);
  await Promise.all(busy);
  if (Number(process.env.UV_THREADPOOL_SIZE ?? 4) <= 4) {
    console.log(
      '  Rerun with UV_THREADPOOL_SIZE=8 in the environment: the lookup no longer waits.',
    );
  }
}
