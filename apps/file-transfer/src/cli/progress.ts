/**
 * Progress of a transfer, per file and overall (bytes, rate, ETA): live bars on a terminal
 * (cli-progress), plain lines otherwise, at most one per file a second plus one when it ends.
 */
import cliProgress from 'cli-progress';
import { formatBytes, formatDuration, formatRate } from './format.ts';

/** What a progress display is told. */
export interface ProgressDisplay {
  /** A file's bytes: `done` of `size`, of which `from` were already there (a resume). */
  update(name: string, size: number, done: number, from: number): void;
  /** A line to print above the bars (or as is). */
  log(line: string): void;
  /** Ends the display (the bars stay on screen, finished). */
  stop(): void;
}

interface Options {
  /** What is being done: `sending`, `receiving`, `hashing`. */
  verb: string;
  totalBytes: number;
  /** Prints one plain line (non-terminal mode). */
  line: (text: string) => void;
  /** The terminal to draw bars on; plain lines without one. */
  tty?: NodeJS.WriteStream | undefined;
  now?: () => number;
}

/** Files at least this large get a line of their own when they end. */
const LINE_FROM_BYTES = 1024 * 1024;

interface FileState {
  size: number;
  from: number;
  done: number;
  started: number;
  lastLine: number;
}

const describe = (done: number, size: number, rateBps: number): string => {
  const percent = size === 0 ? 100 : Math.floor((done / size) * 100);
  const eta = rateBps > 0 ? formatDuration((size - done) / rateBps) : '?';
  return `${formatBytes(done)} / ${formatBytes(size)} (${percent}%) ${formatRate(rateBps)} ETA ${eta}`;
};

/** Makes a {@link ProgressDisplay}: bars when `tty` is given, plain lines otherwise. */
export function createProgressDisplay(options: Options): ProgressDisplay {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const files = new Map<string, FileState>();
  let overallDone = 0;
  const rate = (bytes: number, since: number): number => {
    const seconds = (now() - since) / 1000;
    return seconds > 0 ? bytes / seconds : 0;
  };
  /** The file's state (made on its first update, then `onNew` runs) and the overall count. */
  const track = (
    name: string,
    size: number,
    done: number,
    from: number,
    onNew: () => void,
  ): FileState => {
    let state = files.get(name);
    if (!state) {
      state = { size, from, done: from, started: now(), lastLine: 0 };
      files.set(name, state);
      onNew();
    }
    overallDone += done - state.done;
    state.done = done;
    return state;
  };
  if (!options.tty) {
    let lastOverall = started;
    return {
      update(name, size, done, from) {
        const state = track(name, size, done, from, () => {
          if (from > 0) options.line(`${name}: resuming at ${formatBytes(from)}`);
        });
        const t = now();
        const finished = done >= size;
        // Small files end in one line of the summary, not one each: 10,000 stay readable.
        const worthALine = size >= LINE_FROM_BYTES || state.lastLine > 0;
        if (
          (finished && worthALine) ||
          (!finished && t - state.started >= 1000 && t - state.lastLine >= 1000)
        ) {
          state.lastLine = t;
          options.line(
            `${options.verb} ${name}: ${describe(done, size, rate(done - from, state.started))}`,
          );
        }
        if (finished) files.delete(name);
        if (t - lastOverall >= 1000) {
          lastOverall = t;
          options.line(
            `overall: ${describe(overallDone, options.totalBytes, rate(overallDone, started))}`,
          );
        }
      },
      log: options.line,
      stop() {},
    };
  }
  const multibar = new cliProgress.MultiBar(
    {
      stream: options.tty,
      format: '{label} |{bar}| {percentage}% {bytes} {rate} ETA {eta_text}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 24,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (label: string, done: number, size: number, bps: number) => ({
    label: label.length > 28 ? `…${label.slice(-27)}` : label.padEnd(28),
    bytes: `${formatBytes(done)}/${formatBytes(size)}`,
    rate: formatRate(bps),
    eta_text: bps > 0 ? formatDuration((size - done) / bps) : '?',
  });
  const overall = multibar.create(
    Math.max(options.totalBytes, 1),
    0,
    payload('overall', 0, options.totalBytes, 0),
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    update(name, size, done, from) {
      const state = track(name, size, done, from, () => {
        bars.set(name, multibar.create(Math.max(size, 1), from, payload(name, from, size, 0)));
      });
      bars
        .get(name)
        ?.update(
          size === 0 ? 1 : done,
          payload(name, done, size, rate(done - from, state.started)),
        );
      overall.update(
        options.totalBytes === 0 ? 1 : overallDone,
        payload('overall', overallDone, options.totalBytes, rate(overallDone, started)),
      );
      if (done >= size) {
        // A finished file's bar leaves the stack (a line stays for a large one).
        const bar = bars.get(name);
        if (bar) multibar.remove(bar);
        bars.delete(name);
        files.delete(name);
        if (size >= LINE_FROM_BYTES) {
          multibar.log(
            `${options.verb} ${name}: ${describe(done, size, rate(done - from, state.started))}\n`,
          );
        }
      }
    },
    log: (line) => multibar.log(`${line}\n`),
    stop: () => multibar.stop(),
  };
}
