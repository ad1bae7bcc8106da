import { withTimeout } from '@socketlab/testkit';
import type { Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { startChatApp } from '../../src/server/app.ts';
import { createMemoryBackend } from '../../src/store/memory.ts';
import { ask, connectGuest, refusalOf } from '../helpers/chat.ts';

/** What a socket saw, in order, until it was disconnected. */
function record(socket: Socket): Promise<string[]> {
  const seen: string[] = [];
  return withTimeout(
    new Promise((resolve) => {
      socket.on('notice', (notice: { code: string }) => seen.push(`notice ${notice.code}`));
      socket.on('disconnect', (reason) => {
        seen.push(`disconnect ${reason}`);
        resolve(seen);
      });
    }),
    'the disconnect',
  );
}

describe('close()', () => {
  it('tells every client (WebSocket and long-polling) before disconnecting them, then closes the backend', async () => {
    const backend = createMemoryBackend();
    let backendClosed = false;
    const app = await startChatApp({
      backend: {
        ...backend,
        close: async () => {
          backendClosed = true;
          await backend.close();
        },
      },
    });
    const ada = await connectGuest(app, 'ada');
    const bob = await connectGuest(app, 'bob', { transports: ['polling'] });
    await ask(ada, 'join', { room: 'lobby' });
    await ask(bob, 'join', { room: 'lobby' });
    const seen = [record(ada), record(bob)];
    await app.close();
    for (const events of await Promise.all(seen)) {
      expect(events).toEqual(['notice CHAT_ERR_SHUTDOWN', 'disconnect io server disconnect']);
    }
    expect(backendClosed).toBe(true);
    expect(await backend.stores.presence.occupied()).toEqual(new Map());
    await app.close(); // a second close is the same close
  });

  it('stops listening: a new connection is refused', async () => {
    const app = await startChatApp();
    const { token } = await app.issueGuestToken('ada');
    await app.close();
    const error = await refusalOf(app, { token });
    expect(error.message).toMatch(/websocket error|xhr poll error|ECONNREFUSED/i);
  });
});
