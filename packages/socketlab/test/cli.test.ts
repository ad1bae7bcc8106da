import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { COMMANDS, runCli } from '../src/main.ts';
import { recordIo } from './helpers/io.ts';
import { REPO, solve, tempRepo } from './helpers/temp-repo.ts';

async function checkout() {
  const root = await tempRepo(['basics']);
  const env = { SOCKETLAB_ROOT: root, SOCKETLAB_PROGRESS: path.join(root, 'progress.json') };
  const cli = async (...argv: string[]) => {
    const io = recordIo(env);
    const code = await runCli(argv, io);
    return { code, out: io.text(), err: io.stderr.join('\n') };
  };
  const roadmap = async () => JSON.parse((await cli('list', '--json')).out);
  return { root, env, cli, roadmap };
}

/** The real repository with a throw-away progress file: for commands that change no file. */
async function real() {
  const dir = await tempDir('socketlab-progress-');
  const env = { SOCKETLAB_ROOT: REPO, SOCKETLAB_PROGRESS: path.join(dir, 'progress.json') };
  return async (...argv: string[]) => {
    const io = recordIo(env);
    const code = await runCli(argv, io);
    return { code, out: io.text(), err: io.stderr.join('\n') };
  };
}

const stateOf = (
  map: { stages: Array<{ exercises: Array<{ key: string; state: string }> }> },
  key: string,
) => map.stages.flatMap((s) => s.exercises).find((e) => e.key === key)?.state;

describe('socketlab verify', () => {
  it('fails against the starter, passes once the exercise is solved, and the roadmap remembers both across restarts', async () => {
    const { root, cli, roadmap } = await checkout();
    const red = await cli('verify', 'basics/01');
    expect(red.code).toBe(1);
    expect(red.out).toMatch(/✗ basics\/01-first-socket {2}\d+ of \d+ tests fail/);
    expect(red.out).toMatch(/First failure — sendLine/);
    expect(red.out).toMatch(/not implemented yet/);
    expect(stateOf(await roadmap(), 'basics/01-first-socket')).toBe('failing');

    solve(root, 'basics', '01-first-socket');
    const green = await cli('verify', 'basics/01');
    expect(green.code, green.out).toBe(0);
    expect(green.out).toMatch(/✓ basics\/01-first-socket/);
    // A new process reading the same file: progress survives the restart.
    const map = await roadmap();
    expect(stateOf(map, 'basics/01-first-socket')).toBe('passing');
    expect(map.current).toBe('basics/02-addresses');
    expect((await cli()).out).toMatch(/→ · 02-addresses .*← current/);
  }, 180_000);

  it('re-runs the exercises before it in the stage, and --target solutions grades the reference without recording it', async () => {
    const { cli, roadmap } = await checkout();
    const both = await cli('verify', 'basics/02', '--target', 'solutions');
    expect(both.code, both.out).toBe(0);
    expect(both.out).toMatch(/✓ basics\/01-first-socket[\s\S]*✓ basics\/02-addresses/);
    expect(stateOf(await roadmap(), 'basics/01-first-socket')).toBe('not-started');
  }, 180_000);

  it('grades a Python program with --target cmd:, that exercise only, and records it', async () => {
    const dir = await tempDir('socketlab-progress-');
    const env = { SOCKETLAB_ROOT: REPO, SOCKETLAB_PROGRESS: path.join(dir, 'progress.json') };
    const io = recordIo(env);
    const code = await runCli(
      ['verify', 'basics/06', '--target', 'cmd:python3 examples/echo_server.py'],
      io,
    );
    expect(code, io.text()).toBe(0);
    expect(io.text()).toMatch(/Grading basics\/06-concurrent-echo against cmd:python3/);
    expect(io.text()).not.toMatch(/basics\/05/);
    const progress = JSON.parse(readFileSync(env.SOCKETLAB_PROGRESS, 'utf8'));
    expect(progress.exercises['basics/06-concurrent-echo'].lastRun).toMatchObject({
      passed: true,
      target: 'cmd:python3 examples/echo_server.py',
    });
  }, 180_000);

  it('refuses a target it cannot parse, with exit code 2', async () => {
    const cli = await real();
    const bad = await cli('verify', 'basics/06', '--target', 'addr:nowhere');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--target addr:nowhere is not an address/);
  });
});

describe('socketlab hint', () => {
  it('reveals one tier at a time and remembers how many', async () => {
    const { cli, roadmap } = await checkout();
    const lesson = readFileSync(
      path.join(REPO, 'packages/basics/exercises/03-ports/README.md'),
      'utf8',
    );
    const tiers =
      lesson
        .split('## Hints')[1]
        ?.split('\n## ')[0]
        ?.match(/^\d+\. /gm)?.length ?? 0;
    expect(tiers).toBeGreaterThan(1);
    const first = await cli('hint', 'basics/03');
    expect(first.out).toMatch(new RegExp(`Hint 1 of ${tiers} for basics/03-ports`));
    expect(first.out).not.toMatch(/Hint 2/);
    const second = await cli('hint', 'basics/03');
    expect(second.out).toMatch(new RegExp(`Hint 2 of ${tiers}`));
    const map = await roadmap();
    expect(
      map.stages[0].exercises.find((e: { key: string }) => e.key === 'basics/03-ports').hintsShown,
    ).toBe(2);
  });
});

describe('socketlab solution', () => {
  it('stays hidden before the exercise passes, and --force shows it and is recorded', async () => {
    const { cli, env } = await checkout();
    const hidden = await cli('solution', 'basics/02');
    expect(hidden.code).toBe(1);
    expect(hidden.err).toMatch(/has not passed yet/);
    const forced = await cli('solution', 'basics/02', '--force');
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/export function parseIPv4/);
    const progress = JSON.parse(readFileSync(env.SOCKETLAB_PROGRESS, 'utf8'));
    expect(progress.exercises['basics/02-addresses'].solutionShown.forced).toBe(true);
  });
});

describe('socketlab solution, once passed', () => {
  it('shows it without --force, and a look taken before passing stays on the record', async () => {
    const { cli, env } = await checkout();
    const at = '2026-01-01T00:00:00.000Z';
    writeFileSync(
      env.SOCKETLAB_PROGRESS,
      JSON.stringify({
        version: 1,
        exercises: {
          'basics/02-addresses': {
            lastRun: { at, passed: true, passedTests: 3, failedTests: 0, target: 'exercises' },
            passedAt: at,
            solutionShown: { at, forced: true },
          },
        },
      }),
    );
    const shown = await cli('solution', 'basics/02');
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toMatch(/export function parseIPv4/);
    const progress = JSON.parse(readFileSync(env.SOCKETLAB_PROGRESS, 'utf8'));
    expect(progress.exercises['basics/02-addresses'].solutionShown).toEqual({ at, forced: true });
  });
});

describe('socketlab reset', () => {
  it('saves the learner version aside and restores the starter from git', async () => {
    const { root, cli } = await checkout();
    const file = path.join(root, 'packages/basics/exercises/03-ports/exercise.ts');
    const starter = readFileSync(file, 'utf8');
    writeFileSync(file, '// my attempt\n');
    const reset = await cli('reset', 'basics/03');
    expect(reset.code, reset.err).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(starter);
    const savedDir = path.join(root, '.socketlab-saved/basics/03-ports');
    const saved = readdirSync(savedDir);
    expect(saved).toHaveLength(1);
    expect(readFileSync(path.join(savedDir, saved[0] ?? ''), 'utf8')).toBe('// my attempt\n');
    expect((await cli('reset', 'basics/03')).out).toMatch(/already the starter/);
  });
});

describe('socketlab run', () => {
  it("starts the exercise's server, says where it listens, and stops it on abort", async () => {
    const { env } = await checkout();
    const io = recordIo(env);
    const running = runCli(['run', 'basics/06', '--solution'], io);
    onTestFinished(() => io.abort());
    await io.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 30_000);
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(io.text())?.[1]);
    const socket = net.connect(port, '127.0.0.1');
    socket.write('ping\n');
    const [echo] = (await once(socket, 'data')) as [Buffer];
    expect(echo.toString()).toBe('ping\n');
    socket.destroy();
    io.abort();
    expect(await running).toBe(0);
    expect(io.text()).toMatch(/stopped/);
  });
});

describe('socketlab run, a client', () => {
  it('calls the exercise function with the arguments given in order and prints its result', async () => {
    const server = net.createServer((socket) => {
      socket.once('data', (line) => socket.end(`you said: ${line}`));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(() => {
      server.close();
    });
    const { port } = server.address() as net.AddressInfo;
    const cli = await real();
    const result = await cli(
      'run',
      'basics/01',
      '--solution',
      '--',
      '127.0.0.1',
      String(port),
      'hello',
    );
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/sendLine returned: 'you said: hello'/);
  });
});

describe('usage and robustness', () => {
  it.each(Object.keys(COMMANDS))('%s --help prints its usage and exits 0', async (name) => {
    const cli = await real();
    const help = await cli(name, '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(new RegExp(`^usage: socketlab \\[?${name}`));
  });

  it.each([
    [['frobnicate']],
    [['list', '--jsn']],
    [['reset']],
    [['verify', 'basics/01', 'basics/02']],
    [['verify', 'basics/99']],
    [['run', 'basics/06', '--port', 'x']],
    [['watch', '--debounce', '-1']],
  ])('exits 2 on misuse: %j', async (argv) => {
    const cli = await real();
    const result = await cli(...argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/socketlab/);
  });

  it('marks a stage that is still being written (stage.json inProgress), and only such a stage', async () => {
    const cli = await real();
    const map = JSON.parse((await cli('list', '--json')).out) as {
      stages: Array<{ name: string; inProgress?: boolean }>;
    };
    const text = (await cli('list')).out;
    for (const stage of map.stages) {
      const manifest = JSON.parse(
        readFileSync(path.join(REPO, 'packages', stage.name, 'stage.json'), 'utf8'),
      ) as { inProgress?: string };
      expect(stage.inProgress === true, stage.name).toBe(manifest.inProgress !== undefined);
      const header = text.split('\n').find((line) => line.includes(`· ${stage.name}:`)) ?? '';
      expect(header.includes('being written'), header).toBe(manifest.inProgress !== undefined);
    }
  });

  it('handles a corrupt progress file with a message, keeps a copy, and goes on', async () => {
    const { cli, env } = await checkout();
    writeFileSync(env.SOCKETLAB_PROGRESS, 'not json at all');
    const list = await cli('list');
    expect(list.code).toBe(0);
    expect(list.err).toMatch(/is not valid JSON/);
    expect(list.out).toMatch(/→ · 01-first-socket/);
    const dir = path.dirname(env.SOCKETLAB_PROGRESS);
    expect(readdirSync(dir).some((f) => f.startsWith('progress.json.corrupt-'))).toBe(true);
    expect(existsSync(env.SOCKETLAB_PROGRESS)).toBe(true);
    expect((await cli('list')).err).toBe('');
  });
});
