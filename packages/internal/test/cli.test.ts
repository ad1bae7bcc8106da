import { describe, expect, it } from 'vitest';
import {
  type CliCommand,
  CliUsageError,
  EXIT_USAGE,
  parseIntegerOption,
  runCommandLine,
} from '../src/index.ts';

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

  it("answers -h/--help for every command itself, but not after a '--'", async () => {
    expect(await run(['misuse', '--x', '1', '-h'])).toMatchObject({
      code: 0,
      out: 'Usage: prog misuse\n',
    });
    expect(await run(['ok', '--help'])).toMatchObject({ code: 0, out: 'Usage: prog ok\n' });
    expect((await run(['ok', '--', '--help'])).code).toBe(3); // an argument, passed on
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
      err: "prog misuse: --x is required\nUsage: prog misuse\nRun 'prog misuse --help' for more.\n",
    });
    expect(await run(['fail'])).toMatchObject({
      code: 1,
      err: 'prog fail: could not connect [X_ERR_CONNECTION]\n',
    });
  });
});

describe('parseIntegerOption', () => {
  it('takes a whole number within bounds', () => {
    expect(parseIntegerOption('port', '7000', 0, 65_535)).toBe(7000);
  });

  it.each([
    ['12abc', '--port must be a whole number, got "12abc"'],
    ['1e3', '--port must be a whole number, got "1e3"'],
    ['-1', '--port must be a whole number, got "-1"'],
    ['', '--port must be a whole number, got ""'],
    ['70000', '--port must be from 0 to 65535, got 70000'],
  ])('refuses %j as a usage mistake', (raw, message) => {
    expect(() => parseIntegerOption('port', raw, 0, 65_535)).toThrow(
      expect.objectContaining({ name: 'CliUsageError', message }),
    );
  });
});
