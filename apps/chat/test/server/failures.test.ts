import { withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { startChatApp } from '../../src/server/app.ts';
import { createMemoryBackend } from '../../src/store/memory.ts';
import type { ChatBackend } from '../../src/store/types.ts';
import { ask, connectGuest, startTestApp } from '../helpers/chat.ts';

/** The memory backend, with its history's append and presence's leave failing on demand. */
function brittleBackend(): { backend: ChatBackend; fail: { append: boolean; leave: boolean } } {
  const inner = createMemoryBackend();
  const fail = { append: false, leave: false };
  const { history, presence } = inner.stores;
  return {
    fail,
    backend: {
      ...inner,
      stores: {
        history: {
          ...history,
          append: async (message) => {
            if (fail.append) throw new Error('redis: connection lost (secret detail)');
            return history.append(message);
          },
        },
        presence: {
          ...presence,
          leave: async (...args) => {
            if (fail.leave) throw new Error('presence store down');
            return presence.leave(...args);
          },
        },
      },
    },
  };
}

describe('a store that fails', () => {
  it('is a CHAT_ERR_UNAVAILABLE refusal without its details, told to onError; the next request works', async () => {
    const { backend, fail } = brittleBackend();
    const errors: string[] = [];
    const app = await startTestApp({
      backend,
      onError: (error, context) => errors.push(`${context}: ${(error as Error).message}`),
    });
    const ada = await connectGuest(app, 'ada');
    await ask(ada, 'join', { room: 'lobby' });
    fail.append = true;
    const refused = await ask(ada, 'send', { room: 'lobby', text: 'hi' });
    expect(refused).toEqual({
      ok: false,
      error: {
        code: 'CHAT_ERR_UNAVAILABLE',
        reason: 'the server could not do that right now: try again',
      },
    });
    expect(errors).toEqual([expect.stringMatching(/^send from .*: redis: connection lost/)]);
    fail.append = false;
    expect(await ask(ada, 'send', { room: 'lobby', text: 'hi' })).toMatchObject({
      ok: true,
      seq: 1,
    });
  });

  it('during a disconnect clean-up is told to onError, and the server goes on', async () => {
    const { backend, fail } = brittleBackend();
    let told: (context: string) => void = () => {};
    const failed = new Promise<string>((resolve) => {
      told = resolve;
    });
    const app = await startTestApp({ backend, onError: (_error, context) => told(context) });
    const ada = await connectGuest(app, 'ada');
    await ask(ada, 'join', { room: 'lobby' });
    fail.leave = true;
    ada.disconnect();
    expect(await withTimeout(failed, 'the clean-up failure')).toMatch(/^clean-up of /);
    fail.leave = false;
    const bob = await connectGuest(app, 'bob');
    expect(await ask(bob, 'join', { room: 'lobby' })).toMatchObject({ ok: true });
  });

  it('a backend whose attach fails: startChatApp rejects and closes it', async () => {
    const inner = createMemoryBackend();
    let closedBackend = false;
    const backend: ChatBackend = {
      ...inner,
      attach: async () => {
        throw new Error('broker unreachable');
      },
      close: async () => {
        closedBackend = true;
      },
    };
    await expect(startChatApp({ backend })).rejects.toThrow('broker unreachable');
    expect(closedBackend).toBe(true);
  });
});

describe('bad options', () => {
  it.each([
    [{ maxConnections: 0 }, RangeError, /maxConnections must be an integer/],
    [{ typingExpireMs: 1.5 }, TypeError, /typingExpireMs must be an integer/],
    [{ limits: { messageBurst: 0 } }, RangeError, /limits\.messageBurst/],
    [{ limits: { maxTextLength: Number.NaN } }, TypeError, /limits\.maxTextLength/],
    [{ port: 70_000 }, RangeError, /port must be an integer from 0 to 65535/],
    [{ tokenTtlMs: 10 }, RangeError, /tokenTtlMs/],
    [{ jwtSecret: 'short' }, TypeError, /32 bytes/],
  ] as const)('refuses %j before opening anything', async (options, kind, message) => {
    const backend = createMemoryBackend();
    let attached = false;
    const error = await startChatApp({
      ...(options as object),
      backend: {
        ...backend,
        attach: async (io) => {
          attached = true;
          return backend.attach(io);
        },
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
    expect(attached).toBe(false);
  });
});
