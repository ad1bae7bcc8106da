import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import {
  type CliCommand,
  CliUsageError,
  parseCommandArgs,
  parseIntegerOption,
} from '../command.ts';
import { openContext } from '../context.ts';
import { findExercise } from '../repo.ts';

type AnyFunction = (...args: unknown[]) => unknown;

/** The parameters of a function as its source declares them: names, and whether each has a default. */
export function parametersOf(fn: AnyFunction): Array<{ name: string; optional: boolean }> {
  const source = fn.toString();
  const open = source.indexOf('(');
  let depth = 0;
  let end = open;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (depth === 0) {
      end = i;
      break;
    }
  }
  const list = source.slice(open + 1, end);
  const parts: string[] = [];
  let current = '';
  depth = 0;
  for (const c of list) {
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (c === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  if (current.trim()) parts.push(current);
  return parts.map((part) => {
    const [name = '', ...rest] = part.split('=');
    return {
      name: name.replace('...', '').trim(),
      optional: rest.length > 0 || part.includes('...'),
    };
  });
}

/** The function `run` starts: --fn, else the one exported start…/listen…/create…, else the only one. */
function pickFunction(
  module: Record<string, unknown>,
  wanted: string | undefined,
): [string, AnyFunction] {
  const functions = Object.entries(module).filter(
    (entry): entry is [string, AnyFunction] =>
      typeof entry[1] === 'function' && !/^[A-Z]/.test(entry[0]),
  );
  if (wanted) {
    const found = functions.find(([name]) => name === wanted);
    if (!found) {
      throw new CliUsageError(
        `--fn ${wanted}: the exercise exports ${functions.map(([n]) => n).join(', ')}`,
      );
    }
    return found;
  }
  const starters = functions.filter(([name]) => /^(start|listen|create)/.test(name));
  const only =
    starters.length === 1 ? starters[0] : functions.length === 1 ? functions[0] : undefined;
  if (!only) {
    throw new CliUsageError(
      `say which function to run with --fn: the exercise exports ${functions.map(([n]) => n).join(', ')}`,
    );
  }
  return only;
}

export const runCommand: CliCommand = {
  summary: 'start your server or client without grading, to poke at with nc',
  help: `usage: socketlab run <exercise> [--fn NAME] [--port N] [--host H] [--dir D] [--solution] [-- ARGS…]

Imports your exercises/<id>/exercise.ts and calls its server (the exported start…/listen…
function) or, with --fn, any function it exports. A server's port is printed, with the nc
command to talk to it; it runs until Ctrl-C, then is closed. A client's result is printed.
ARGS, when given, are the function's arguments in order (numbers stay numbers), e.g. for a
client: socketlab run basics/01 -- 127.0.0.1 7000 hello. Without ARGS, parameters are filled by
name: port (--port, default 0: the kernel picks), host (--host), directory/dir (--dir, default a
new temporary folder).
  exercise     required: basics/06, tcp-udp/04-line-chat, …
  --fn NAME    the exported function to call
  --solution   run the reference solution instead of your code`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      fn: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      dir: { type: 'string' },
      solution: { type: 'boolean' },
    });
    const [query, ...rest] = positionals;
    if (!query) throw new CliUsageError('run needs an exercise, e.g. socketlab run basics/06');
    const port = values.port === undefined ? 0 : parseIntegerOption('port', values.port, 0, 65_535);
    const context = openContext(io);
    const exercise = findExercise(context.stages, query);
    const file = values.solution ? exercise.solution : exercise.file;
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const [name, fn] = pickFunction(module, values.fn);
    const params = parametersOf(fn);
    const given = [...rest];
    const fromArgs = (value: string): unknown => (/^\d+$/.test(value) ? Number(value) : value);
    // ARGS, when given, fill the parameters in order (a client: host, port, line…); otherwise
    // they are filled by name, as a server's are.
    const callArgs = params.map((param) => {
      if (rest.length > 0) {
        const value = given.shift();
        if (value !== undefined) return fromArgs(value);
        if (param.optional) return undefined;
        throw new CliUsageError(
          `${name}(${params.map((p) => p.name).join(', ')}) needs ${param.name} too: socketlab run ${query} -- ${params.map((p) => `<${p.name}>`).join(' ')}`,
        );
      }
      if (param.name === 'port') return port;
      if (param.name === 'host') return values.host ?? (param.optional ? undefined : '127.0.0.1');
      if (param.name === 'directory' || param.name === 'dir') {
        const dir = values.dir ?? mkdtempSync(path.join(os.tmpdir(), `socketlab-${exercise.id}-`));
        io.out(`${param.name}: ${dir}`);
        return dir;
      }
      if (param.optional) return undefined;
      throw new CliUsageError(
        `${name}(${params.map((p) => p.name).join(', ')}) needs ${param.name}: give every argument in order, socketlab run ${query} -- ${params.map((p) => `<${p.name}>`).join(' ')}`,
      );
    });
    io.out(`Running ${name} from ${path.relative(context.root, file)} (not graded)…`);
    let result: unknown;
    try {
      result = await fn(...callArgs);
    } catch (error) {
      io.err(`${name} threw: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    const server = result as { port?: unknown; close?: () => unknown } | undefined;
    if (typeof server?.port !== 'number') {
      io.out(`${name} returned: ${inspect(result, { depth: 4 })}`);
      return 0;
    }
    const host = values.host ?? '127.0.0.1';
    io.out(`listening on ${host}:${server.port}`);
    io.out(`try: nc ${host} ${server.port}   (nc -u for UDP). Ctrl-C stops it.`);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    if (typeof server.close === 'function') await server.close();
    io.out('stopped.');
    return 0;
  },
};
