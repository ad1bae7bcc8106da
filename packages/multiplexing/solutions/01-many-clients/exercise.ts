import { lineCodec } from '@socketlab/tcp-udp';
import type { RunningNumberingServer } from '../../exercises/01-many-clients/exercise.ts';
import { createConnectionManager, listenManagedTcp } from '../../src/connections/index.ts';

export type { RunningNumberingServer };

/** The longest line accepted; a longer one closes that client only. */
const MAX_LINE_BYTES = 16 * 1024;

/**
 * The numbering server on this package's connection manager: `listenManagedTcp` with stage 2's
 * `lineCodec` cuts each connection's bytes into lines (one decoder per connection), the manager
 * keeps every connection's state apart, and a reset is that connection's `'close'`, nothing more.
 */
export async function startNumberingServer(
  port: number,
  host = '127.0.0.1',
): Promise<RunningNumberingServer> {
  const manager = createConnectionManager<{ lines: number }>({
    heartbeatIntervalMs: 0,
    closeTimeoutMs: 500,
    createMetadata: () => ({ lines: 0 }),
  });
  manager.on('connection', (conn) => {
    conn.on('message', (line) => {
      conn.metadata.lines += 1;
      conn.send(Buffer.concat([Buffer.from(`${conn.metadata.lines} `), line]));
    });
  });
  const { address } = await listenManagedTcp({
    manager,
    host,
    port,
    codec: lineCodec({ maxFrameBytes: MAX_LINE_BYTES }),
  });
  return {
    port: address.port,
    close: async () => {
      await manager.shutdown({ closeTimeoutMs: 500 });
    },
  };
}
