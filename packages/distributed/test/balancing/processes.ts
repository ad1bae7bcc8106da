/** Socket.IO instances in processes of their own (test/balancing/fixtures/instance.ts). */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import type { BalancerEndpoint } from '../../src/balancing/index.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'instance.ts');

export interface InstanceProcess extends BalancerEndpoint {
  readonly index: number;
  readonly child: ChildProcess;
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

/**
 * Starts `count` processes of `fixture` (by default the Redis instance, on one prefix:
 * `REDIS_URL`, `KEY_PREFIX`) with `env`; killed when the test ends.
 */
export async function instanceProcesses(
  count: number,
  env: Readonly<Record<string, string>>,
  fixture = FIXTURE,
): Promise<InstanceProcess[]> {
  const started = Array.from({ length: count }, async (_, index) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@socketlab/source', '--import', 'tsx', fixture],
      {
        env: { ...process.env, ...env, INSTANCE_INDEX: String(index) },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const line = await withTimeout(
      new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('\n')) resolve(out.split('\n')[0] as string);
        });
        child.once('exit', (code) =>
          reject(new Error(`instance ${index} exited (${code}) before listening`)),
        );
      }),
      `instance process ${index} to listen`,
      60_000, // a bound: under CI's full load, three processes compiling TypeScript took over 20 s
    );
    const { port } = JSON.parse(line) as { port: number };
    const gone = new Promise((resolve) => child.once('exit', resolve));
    return {
      index,
      child,
      host: '127.0.0.1',
      port,
      async stop(signal: 'SIGTERM' | 'SIGKILL') {
        child.kill(signal);
        await withTimeout(gone, `instance ${index} to exit on ${signal}`, 10_000);
      },
    };
  });
  return Promise.all(started);
}
