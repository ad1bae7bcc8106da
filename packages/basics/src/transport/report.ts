/**
 * What `compareBoundaries` (in `transport/compare.ts`) reports, and a pure printer for it. No I/O here.
 */
import type { DatagramAnalysis, StreamAnalysis } from './analysis.ts';

/** The hosts {@link compareBoundaries} and {@link probeDatagramSize} may use: loopback only. */
export type TransportHost = '127.0.0.1' | '::1';

/** What the TCP receiver saw: the chunks of its `'data'` events and their analysis. */
export interface StreamReport extends StreamAnalysis {
  readonly corked: boolean;
  /** The chunks exactly as `'data'` delivered them. */
  readonly received: readonly Uint8Array[];
}

/** What the UDP receiver saw: one entry per `'message'` event, and their analysis. */
export interface DatagramReport extends DatagramAnalysis {
  readonly burst: boolean;
  /** The datagrams exactly as `'message'` delivered them (flush markers removed). */
  readonly datagrams: readonly Uint8Array[];
  /** True when the run's time bound ran out before the receiver confirmed the last batch. */
  readonly timedOut: boolean;
}

/** The result of {@link compareBoundaries}. */
export interface BoundaryComparison {
  readonly host: TransportHost;
  readonly messages: readonly string[];
  readonly tcp: StreamReport;
  readonly udp: DatagramReport;
}

/**
 * Renders a {@link BoundaryComparison} for a terminal: each TCP chunk and each UDP datagram
 * as it arrived, then what that shows. At most `maxRows` rows per side.
 * @param result - What {@link compareBoundaries} returned.
 * @param maxRows - Rows shown per side before "… N more". @default 12
 * @example
 * console.log(formatBoundaryComparison(await compareBoundaries({ messages: ['a', 'b'] })));
 */
export function formatBoundaryComparison(result: BoundaryComparison, maxRows = 12): string {
  const { tcp, udp } = result;
  const lines = [
    `Sent ${result.messages.length} messages to ${result.host}, once over TCP and once over UDP.`,
    '',
    `TCP (SOCK_STREAM), ${tcp.corked ? 'corked' : 'one write at a time'}: ${tcp.writes} writes arrived as ${tcp.chunks} 'data' chunk${tcp.chunks === 1 ? '' : 's'}`,
    ...rows('chunk', tcp.received, maxRows),
    `  bytes written ${tcp.bytesWritten}, bytes received ${tcp.bytesReceived}; concatenation equal: ${yesNo(tcp.concatenationEqual)}`,
    `  boundaries kept: ${yesNo(tcp.boundariesKept)}${tcp.coalesced ? ' (writes were merged)' : ''}${tcp.split ? ' (a write was split)' : ''}`,
    '',
    `UDP (SOCK_DGRAM)${udp.burst ? ', sent in one burst' : ''}: ${udp.sent} datagrams sent, ${udp.received} 'message' events`,
    ...rows('datagram', udp.datagrams, maxRows),
    `  delivered whole ${udp.delivered}, lost ${udp.lost}, unexpected ${udp.unexpected}; in order: ${yesNo(udp.inOrder)}`,
    `  boundaries kept: ${yesNo(udp.boundariesKept)}${udp.timedOut ? ' (stopped waiting: time bound reached)' : ''}`,
  ];
  return lines.join('\n');
}

function rows(label: string, parts: readonly Uint8Array[], maxRows: number): string[] {
  const decoder = new TextDecoder();
  const shown = parts.slice(0, Math.max(0, maxRows)).map((part, i) => {
    const text = decoder.decode(part);
    const cut = text.length > 60 ? `${JSON.stringify(text.slice(0, 60))}…` : JSON.stringify(text);
    return `  ${label} ${i + 1} (${part.length} bytes): ${cut}`;
  });
  if (parts.length > shown.length) shown.push(`  … ${parts.length - shown.length} more`);
  return shown;
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
