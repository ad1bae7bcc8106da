/**
 * Regression: a connection the server had told to go (a line too long, a flood, a shutdown) was
 * read until closeTimeoutMs whatever its peer kept sending, so a hostile peer ignoring the close
 * pushed its 100 MB at full speed and the server read every byte. Now, past maxBufferedBytes
 * received after the close began, the peer is cut at once.
 */

import { ManualClock } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { createConnectionManager } from '../../src/index.ts';
import { MemoryTransport } from '../helpers/memory-transport.ts';

function closingConnection(maxBufferedBytes: number) {
  const manager = createConnectionManager({ clock: new ManualClock(), maxBufferedBytes });
  const transport = new MemoryTransport('10.0.0.1', '10.0.0.1:5000', false, false); // no FIN back
  const conn = manager.accept(transport);
  if (conn === undefined) throw new Error('not admitted');
  conn.close('go away');
  expect(conn.state).toBe('closing');
  return { conn, transport };
}

describe('a peer that keeps sending after it was told to go', () => {
  it('is cut once it sent more than maxBufferedBytes after the close, not at the deadline', async () => {
    const { conn, transport } = closingConnection(1000);
    for (let i = 0; i < 10; i++) transport.emit('message', Buffer.alloc(100)); // 1000: tolerated
    expect(transport.destroyed).toBe(false);
    transport.emit('message', Buffer.alloc(1));
    expect(transport.destroyed).toBe(true);
    expect(conn.state).toBe('closed');
    expect((await conn.closed).cut).toBe(true);
    expect(conn.closeReason).toBe('closed');
  });

  it('keeps a peer that sends a little while it closes (a line in flight), until its FIN', () => {
    const { conn, transport } = closingConnection(1000);
    transport.emit('message', Buffer.from('one last line\n'));
    expect(transport.destroyed).toBe(false);
    transport.finish(undefined);
    expect(conn.state).toBe('closed');
  });
});
