/**
 * The three sides every websockets benchmark compares, each run the same way: a server process
 * and a client process (bench/peer.ts), both of one implementation, driven over IPC from here.
 * - ours: @socketlab/websockets;
 * - ws pure JS: ws with WS_NO_BUFFER_UTIL=1 and WS_NO_UTF_8_VALIDATE=1 in its environment
 *   from the start, so it never loads a native add-on;
 * - ws + add-ons: ws with bufferutil and utf-8-validate installed, which it loads by itself.
 * The peer is bundled with esbuild before it is forked, so no TypeScript loader (and its hooks
 * thread) runs in the measured processes: start-up is short and RSS readings are the program's.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BENCH_QUICK, type BenchRow, measureOpsPerSecond } from '@socketlab/testkit';
import { bundleForNode } from '@socketlab/testkit/bundle';

export type SideName = 'ours' | 'ws-pure' | 'ws-native';

export interface Side {
  readonly name: SideName;
  /** How the row names it. */
  readonly label: string;
  readonly impl: 'ours' | 'ws';
  /** Variables set in (or, when undefined, removed from) its processes' environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const SIDES: readonly Side[] = [
  { name: 'ours', label: '@socketlab/websockets', impl: 'ours', env: {} },
  {
    name: 'ws-pure',
    label: 'ws 8.23.1 pure JS',
    impl: 'ws',
    env: { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' },
  },
  {
    name: 'ws-native',
    label: 'ws 8.23.1 + native add-ons',
    impl: 'ws',
    env: { WS_NO_BUFFER_UTIL: undefined, WS_NO_UTF_8_VALIDATE: undefined },
  },
];

/** The bound on any one request to a peer: far above any batch of a real run. */
const REQUEST_TIMEOUT_MS = 120_000;

const PROFILE_DIR = process.env.BENCH_CPU_PROF;
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bundled = new Map<string, Promise<string>>();

/** Bundles a peer script (bench/peer.ts by default, with the library's sources) once each. */
export function peerScript(name = 'peer'): Promise<string> {
  let script = bundled.get(name);
  if (script === undefined) {
    // ws, the add-ons and socket.io are loaded from the package's node_modules at run time: ws
    // must read its environment itself, and socket.io (with its own ws) is measured as installed.
    script = bundleForNode(
      new URL(`./${name}.ts`, import.meta.url),
      new URL('..', import.meta.url),
      {
        external: ['ws', 'bufferutil', 'utf-8-validate', 'socket.io', 'socket.io-client', 'jose'],
      },
    );
    bundled.set(name, script);
  }
  return script;
}

/** Throws unless both add-ons load here and work: ws would silently run without them. */
function checkAddOns(): void {
  const require = createRequire(import.meta.url);
  const bufferutil = require('bufferutil') as {
    mask: (s: Buffer, m: Buffer, o: Buffer, off: number, len: number) => void;
  };
  const isValidUtf8 = require('utf-8-validate') as (b: Buffer) => boolean;
  const out = Buffer.alloc(4);
  bufferutil.mask(Buffer.from([1, 2, 3, 4]), Buffer.from([1, 2, 3, 4]), out, 0, 4);
  if (!out.equals(Buffer.alloc(4)) || !isValidUtf8(Buffer.from('héllo'))) {
    throw new Error('bufferutil or utf-8-validate loaded but gave a wrong answer');
  }
}

type Answer = Record<string, unknown>;

/** One forked peer process, answering requests one id at a time. */
export class Peer {
  private nextId = 1;
  private readonly waiting = new Map<number, (answer: Answer) => void>();
  private exitedWith: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly what: string,
  ) {
    child.on('message', (answer: Answer) => {
      const id = Number(answer.id);
      this.waiting.get(id)?.(answer);
      this.waiting.delete(id);
    });
    child.on('exit', (code, signal) => {
      this.exitedWith = `exited (${signal ?? code})`;
      for (const resolve of this.waiting.values()) resolve({ error: this.exitedWith });
      this.waiting.clear();
    });
  }

  static start(role: 'server' | 'client', side: Side): Promise<Peer> {
    return Peer.fork('peer', [role, side.impl], side.env, `${side.name} ${role}`);
  }

  /**
   * Forks the bundled bench/<script>.ts with `args`, its environment changed by `envChanges`
   * (an undefined value removes the variable), and waits for it to say it is ready.
   */
  static async fork(
    script: string,
    args: readonly string[],
    envChanges: Readonly<Record<string, string | undefined>>,
    what: string,
  ): Promise<Peer> {
    const env: Record<string, string | undefined> = { ...process.env, ...envChanges };
    for (const [name, value] of Object.entries(envChanges))
      if (value === undefined) delete env[name];
    const child = fork(await peerScript(script), [...args], {
      cwd: packageDir,
      env,
      // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every peer there, when it exits.
      execArgv: [
        '--expose-gc',
        ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const peer = new Peer(child, what);
    await peer.answer(0, 'start');
    return peer;
  }

  /** Sends `{ op, ...fields }` and resolves with the answer; rejects on an error or timeout. */
  request(op: string, fields: Answer = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
    const id = this.nextId++;
    const answer = this.answer(id, op, timeoutMs);
    this.child.send({ id, op, ...fields });
    return answer;
  }

  private answer(id: number, op: string, timeoutMs = 30_000): Promise<Answer> {
    if (this.exitedWith !== undefined) {
      return Promise.reject(new Error(`${this.what}: ${op}: the peer ${this.exitedWith}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.what}: ${op}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        if (answer.error !== undefined) reject(new Error(`${this.what}: ${op}: ${answer.error}`));
        else resolve(answer);
      });
    });
  }

  /** Asks the peer to exit; kills it if it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.exitedWith !== undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.request('exit', {}, 5_000).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

let addOnsChecked = false;

/** Checks which add-ons a side's process loaded: none for pure JS, bufferutil for the other. */
export function checkLoaded(side: Side, loaded: unknown): void {
  const names = Array.isArray(loaded) ? (loaded as string[]) : [];
  if (!addOnsChecked) {
    checkAddOns();
    addOnsChecked = true;
  }
  if (side.name === 'ws-pure' && names.length > 0) {
    throw new Error(`ws pure JS loaded native add-ons: ${names.join(', ')}`);
  }
  // ws 8.23.1 loads utf-8-validate only where Node has no buffer.isUtf8 (before 18.14): on
  // Node 20 both ws sides validate text with Node's own native isUtf8.
  if (side.name === 'ws-native' && !names.includes('bufferutil')) {
    throw new Error(`ws with add-ons did not load bufferutil (loaded: ${names.join(', ')})`);
  }
}

/** A server and a client process of one side, the client holding `clients` connections. */
export interface Pair {
  readonly side: Side;
  readonly server: Peer;
  readonly client: Peer;
  readonly port: number;
}

export async function startPair(side: Side, clients: number, echo: boolean): Promise<Pair> {
  const [server, client] = await Promise.all([
    Peer.start('server', side),
    Peer.start('client', side),
  ]);
  try {
    const listening = await server.request('listen', { echo });
    checkLoaded(side, listening.addons);
    const port = Number(listening.port);
    const { failed } = await client.request('connect', { port, count: clients });
    if (Number(failed) > 0) throw new Error(`${side.name}: ${failed} of ${clients} did not open`);
    return { side, server, client, port };
  } catch (err) {
    await Promise.all([server.stop(), client.stop()]);
    throw err;
  }
}

/** Starts one pair per side, all at once; stops them all if any fails. */
export async function startPairs(clients: number, echo: boolean): Promise<Pair[]> {
  const started = await Promise.allSettled(SIDES.map((side) => startPair(side, clients, echo)));
  const pairs = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed !== undefined) {
    await stopPairs(pairs);
    throw failed.reason;
  }
  return pairs;
}

export async function stopPairs(pairs: readonly Pair[]): Promise<void> {
  await Promise.all(pairs.flatMap((pair) => [pair.server.stop(), pair.client.stop()]));
}

export interface CompareOptions {
  /** Operations per batch (one request to the peers). */
  readonly batch: number;
  /** Upper bound on batches per measurement. */
  readonly maxBatches: number;
  /** Turns operations per second into the row's unit. @default identity */
  readonly scale?: (opsPerSecond: number) => number;
}

/** Rounds of a full run: each measures the three sides one after the other. */
export const ROUNDS = BENCH_QUICK ? 1 : 5;
/** Time budget per side per round: short, so that each round sees the same load on all three. */
export const BUDGET_MS = BENCH_QUICK ? 100 : 500;

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Measures the three sides in turn, ROUNDS times (once with BENCH_QUICK=1), and returns two
 * rows: ours against ws pure JS, and ours against ws with its add-ons. Each value is the median
 * of its rounds, and each ratio the median of the rounds' own ratios: on a shared machine whose
 * load drifts, sides measured a second apart see nearly the same load, and a quiet moment that
 * favours one side in one round does not decide the row.
 */
export async function compareSides(
  bench: string,
  unit: string,
  run: (side: SideName, n: number) => Promise<void>,
  options: CompareOptions,
): Promise<BenchRow[]> {
  const scale = options.scale ?? ((x: number) => x);
  const samples: Record<SideName, number[]> = { ours: [], 'ws-pure': [], 'ws-native': [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const side of SIDES) {
      const opsPerSecond = await measureOpsPerSecond(
        { name: side.label, run: (n) => run(side.name, n) },
        { batch: options.batch, maxBatches: options.maxBatches, budgetMs: BUDGET_MS },
      );
      samples[side.name].push(scale(opsPerSecond));
    }
  }
  const ratios = (baseline: SideName): number[] =>
    samples.ours.map((value, r) => value / (samples[baseline][r] as number));
  return rowsAgainstBoth(
    bench,
    unit,
    {
      ours: median(samples.ours),
      'ws-pure': median(samples['ws-pure']),
      'ws-native': median(samples['ws-native']),
    },
    (baseline) => ({ ratio: median(ratios(baseline)), rounds: ROUNDS }),
  );
}

/** Two rows from three values: ours / ws pure JS, and ours / ws with add-ons. */
export function rowsAgainstBoth(
  bench: string,
  unit: string,
  values: Record<SideName, number>,
  extra: (side: SideName) => object = () => ({}),
): BenchRow[] {
  return (['ws-pure', 'ws-native'] as const).map((baseline) => ({
    bench,
    unit,
    value: values.ours,
    baseline: SIDES.find((side) => side.name === baseline)?.label ?? baseline,
    baselineValue: values[baseline],
    ratio: values.ours / values[baseline],
    ...extra(baseline),
  }));
}
