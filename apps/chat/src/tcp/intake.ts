/**
 * What one `nc` user sends, as stage 3's room chat reads it: lines by stage 1's line decoder (at
 * most `maxLineBytes`, else an error line and a close), each counted against a token bucket
 * (stage 4's `TokenBucket`) with stage 3's flood rule — a line over the rate is dropped and told
 * once, and after `maxFloodLines` of them the connection is closed with the reason.
 */
import { createLineDecoder } from '@socketlab/basics';
import { type ManagedConnection, roomChatLines } from '@socketlab/multiplexing';
import { TokenBucket } from '@socketlab/websockets/realtime';
import type { TcpGatewayLimits } from './options.ts';

/**
 * Reads `member`'s lines: `onLine` for each one within the limits, then `onEnd` once the
 * connection has closed (after its last line, which, as in stage 3, needs no newline when the
 * peer ended its stream, e.g. `nc -N`).
 */
export function readLines(
  // biome-ignore lint/suspicious/noExplicitAny: any metadata; only the stream is read
  member: ManagedConnection<any>,
  limits: TcpGatewayLimits,
  onLine: (line: Uint8Array) => void,
  onEnd: () => void,
): void {
  const { maxFloodLines, maxMessagesPerSecond: rate, maxMessageBurst: burst } = limits;
  const lines = createLineDecoder({ maxLineBytes: limits.maxLineBytes });
  const bucket = new TokenBucket({ capacity: burst, refillPerSecond: rate });
  let floodLines = 0;
  let warned = false;
  const withinRate = (): boolean => {
    if (bucket.take().allowed) {
      warned = false;
      return true;
    }
    floodLines++;
    if (floodLines > maxFloodLines) {
      member.close(roomChatLines.flooded(maxFloodLines, rate).trimEnd());
    } else if (!warned) {
      warned = true;
      member.send(Buffer.from(roomChatLines.tooFast(rate, burst, maxFloodLines - floodLines + 1)));
    }
    return false;
  };
  member.on('message', (chunk) => {
    for (const line of lines.push(chunk)) {
      if (member.state !== 'open') return;
      if (withinRate()) onLine(line);
    }
    if (lines.overflow && member.state === 'open') {
      member.close(roomChatLines.lineTooLong(limits.maxLineBytes).trimEnd());
    }
  });
  member.once('close', (reason, error) => {
    // Not after a reset, an overflow or a flood close.
    const last = lines.end();
    if (reason === 'peer' && error === undefined && last.length > 0 && withinRate()) onLine(last);
    onEnd();
  });
}
