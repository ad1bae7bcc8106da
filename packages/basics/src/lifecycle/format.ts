import type net from 'node:net';
import { formatEndpoint } from '../addresses/index.ts';
import type { FiveTuple, LifecycleEvent, LifecycleStep } from './event.ts';

/** Options of {@link formatLifecycleEvent}. */
export interface FormatLifecycleEventOptions {
  /**
   * Colour the line with ANSI escapes (pass `process.stdout.isTTY` for a terminal).
   * @default false
   */
  readonly color?: boolean;
  /**
   * A time to measure from: the line shows `at - origin`, e.g. the moment a demo started.
   * @default 0
   */
  readonly origin?: number;
}

const ANSI = {
  reset: '\u001b[0m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  blue: '\u001b[34m',
  magenta: '\u001b[35m',
  cyan: '\u001b[36m',
} as const;

const STEP_COLOR: Record<LifecycleStep, keyof typeof ANSI> = {
  create: 'cyan',
  bind: 'cyan',
  listen: 'cyan',
  accept: 'green',
  connect: 'green',
  send: 'blue',
  receive: 'magenta',
  'half-close': 'yellow',
  close: 'yellow',
  error: 'red',
};

/**
 * Renders one lifecycle event as a single line for a terminal or a log: the time, who (server or
 * client, and which connection), the step, and what it means.
 *
 * @param event - The event to show.
 * @param options - Colour and time origin; see {@link FormatLifecycleEventOptions}.
 * @returns One line, without a trailing newline. Control characters from error messages are
 *   escaped, so a hostile peer cannot drive the terminal.
 * @example
 * ```ts
 * formatLifecycleEvent({
 *   step: 'connect', side: 'client', at: 4.2, connectionId: 1,
 *   tuple: { protocol: 'tcp', localAddress: '127.0.0.1', localPort: 53122,
 *            remoteAddress: '127.0.0.1', remotePort: 7000 },
 * });
 * // '+    4.2 ms  client #1        connect     127.0.0.1:53122 → 127.0.0.1:7000'
 * ```
 */
export function formatLifecycleEvent(
  event: LifecycleEvent,
  options: FormatLifecycleEventOptions = {},
): string {
  const color = options.color ?? false;
  const paint = (name: keyof typeof ANSI, text: string): string =>
    color ? `${ANSI[name]}${text}${ANSI.reset}` : text;
  const elapsed = event.at - (options.origin ?? 0);
  const time = `+${elapsed.toFixed(1).padStart(7)} ms`;
  const who =
    event.connectionId === 0
      ? `${event.side} listener`
      : `${event.side} #${String(event.connectionId)}`;
  const what = describe(event);
  const stepColor = event.step === 'close' && !event.clean ? 'red' : STEP_COLOR[event.step];
  const head = `${paint('dim', time)}  ${who.padEnd(15)}  ${paint(stepColor, event.step)}`;
  const detail =
    event.detail === undefined ? '' : paint('dim', `(${escapeControls(event.detail)})`);
  const body = [what, detail].filter((part) => part !== '').join('  ');
  return body === '' ? head : `${head}${' '.repeat(12 - event.step.length)}${body}`;
}

function describe(event: LifecycleEvent): string {
  switch (event.step) {
    case 'create':
      return '';
    case 'bind':
    case 'listen':
      return formatLocal(event.local);
    case 'accept':
      return formatTuple(event.tuple, '←');
    case 'connect':
      return formatTuple(event.tuple, '→');
    case 'send':
      return `${plural(event.bytes, 'byte')} out`;
    case 'receive':
      return `${plural(event.bytes, 'byte')} in`;
    case 'half-close':
      return event.by === 'local'
        ? 'sent FIN: this side sends no more'
        : 'got FIN: the peer sends no more';
    case 'close': {
      const how = event.clean ? 'clean' : 'with an error';
      const why = event.error ? `: ${escapeControls(event.error.message)}` : '';
      return `${how}, ${event.reason}${why}`;
    }
    case 'error':
      return `${event.code ?? 'error'}: ${escapeControls(event.error.message)}`;
  }
}

function formatTuple(tuple: FiveTuple, arrow: '←' | '→'): string {
  const local = formatEndpoint({ host: tuple.localAddress, port: tuple.localPort });
  return `${local} ${arrow} ${formatEndpoint({ host: tuple.remoteAddress, port: tuple.remotePort })}`;
}

function formatLocal(local: net.AddressInfo): string {
  return formatEndpoint({ host: local.address, port: local.port });
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function escapeControls(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return cut.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    return code === 0x0a
      ? '\\n'
      : code === 0x0d
        ? '\\r'
        : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
