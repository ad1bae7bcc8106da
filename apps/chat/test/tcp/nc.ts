/**
 * An `nc` user in a test: a real TCP connection to the gateway (testkit's WireClient, every read
 * bounded) that reads lines until the one awaited, keeping every line it has seen.
 */
import { WireClient } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';

export interface NcUser {
  readonly wire: WireClient;
  /** Every line received so far, without `\n`. */
  readonly lines: string[];
  /** Sends `text` and a `\n`. */
  say(text: string): Promise<void>;
  /** Reads lines until one matches (a string must be equal); returns it. */
  waitFor(match: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Reads until the gateway ends the connection; returns the lines that came before. */
  closed(timeoutMs?: number): Promise<string[]>;
}

export async function connectNc(port: number, timeoutMs = 5000): Promise<NcUser> {
  const wire = await WireClient.connect('127.0.0.1', port, timeoutMs);
  onTestFinished(() => wire.close());
  const lines: string[] = [];
  return {
    wire,
    lines,
    say: (text) => wire.send(`${text}\n`),
    async waitFor(match, ms = timeoutMs) {
      const deadline = Date.now() + ms;
      // Bounded: each read waits at most until the deadline.
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) throw wire.fail(`no line matching ${String(match)} in ${ms} ms`);
        const line = await wire.readLine(left).catch((error: Error) => {
          throw wire.fail(`no line matching ${String(match)}: ${error.message}`);
        });
        lines.push(line);
        if (typeof match === 'string' ? line === match : match.test(line)) return line;
      }
    },
    async closed(ms = timeoutMs) {
      const rest = (await wire.readToEnd(ms)).toString('utf8');
      const more = rest.split('\n').filter((line) => line !== '');
      lines.push(...more);
      return more;
    },
  };
}
