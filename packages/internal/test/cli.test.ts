import { describe, expect, it } from 'vitest';
import { type CliCommand, CliUsageError, EXIT_USAGE, runCommandLine } from '../src/index.ts';

const commands: Record<string, CliCommand> = {
  ok: {
    summary: 'succeeds',
    help: 'Usage: prog ok',
    run: async (args) => (args.length > 0 ? 3 : 0),
  },
  misuse: {
    summary: 'a usage mistake',
    help: 'Usage: prog misuse',
    run: async () => {
      throw new CliUsageError('--x is required');
    },
  },
  fail: {
    summary: 'an operational failure',
    help: 'Usage: prog fail',
    run: async () => {
      throw Object.assign(new Error('could not connect'), { code: 'X_ERR_CONNECTION' });
    },
  },
};

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCommandLine('prog', commands, argv, {
    out: (line) => {
      out += `${line}\n`;
    },
    err: (line) => {
      err += `${line}\n`;
    },
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

describe('runCommandLine', () => {
  it('lists the commands on --help (stdout, 0) and without a command (stderr, 2)', async () => {
    expect(await run(['--help'])).toMatchObject({
      code: 0,
      out: expect.stringContaining('  ok      succeeds'),
    });
    expect(await run([])).toMatchObject({
      code: EXIT_USAGE,
      err: expect.stringContaining('Usage: prog <command>'),
    });
  });

  it('passes the arguments after the name and returns the exit code', async () => {
    expect((await run(['ok'])).code).toBe(0);
    expect((await run(['ok', 'extra'])).code).toBe(3);
  });

  it('refuses an unknown command, even one named like an Object property', async () => {
    for (const name of ['nope', 'toString', '__proto__']) {
      const result = await run([name]);
      expect(result.code).toBe(EXIT_USAGE);
      expect(result.err).toContain(`prog: unknown command ${JSON.stringify(name)}`);
    }
  });

  it('prints a usage mistake with a hint (2), a failure with its code (1)', async () => {
    expect(await run(['misuse'])).toMatchObject({
      code: 2,
      err: "prog misuse: --x is required\nRun 'prog misuse --help' for usage.\n",
    });
    expect(await run(['fail'])).toMatchObject({
      code: 1,
      err: 'prog fail: could not connect [X_ERR_CONNECTION]\n',
    });
  });
});
