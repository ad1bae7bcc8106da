import { EventEmitter } from 'node:events';
import type { CliIo, KeyInput } from '../../src/command.ts';

/** A CliIo that keeps what was printed, for a command driven in-process. */
export interface RecordedIo extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
  /** Everything printed on stdout, one string. */
  text(): string;
  /** Resolves once stdout matches `pattern` (from index `from` of its lines), or rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number, from?: number): Promise<void>;
  abort(): void;
}

export function recordIo(env: NodeJS.ProcessEnv, stdin?: KeyInput): RecordedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const printed = new EventEmitter();
  const controller = new AbortController();
  const text = (from = 0): string => stdout.slice(from).join('\n');
  return {
    stdout,
    stderr,
    color: false,
    signal: controller.signal,
    env: { ...env },
    ...(stdin ? { stdin } : {}),
    out(line) {
      stdout.push(line);
      printed.emit('line');
    },
    err(line) {
      stderr.push(line);
    },
    text: () => text(),
    abort: () => controller.abort(),
    waitFor(pattern, ms = 60_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (!pattern.test(text(from))) return false;
          clearTimeout(timer);
          printed.off('line', check);
          resolve();
          return true;
        };
        const timer = setTimeout(() => {
          printed.off('line', check);
          reject(new Error(`no output matched ${pattern} within ${ms} ms. Output:\n${text(from)}`));
        }, ms);
        if (!check()) printed.on('line', check);
      });
    },
  };
}
