import type { RunningBroadcastChat } from '../../exercises/03-broadcast-chat/exercise.ts';
import { listenRoomChat } from '../../src/chat/index.ts';

export type { RunningBroadcastChat };

/**
 * The exercise's chat is this package's room chat, whose protocol it grades: `listenRoomChat`
 * (src/chat/server.ts) on the connection manager, with broadcast through each client's bounded
 * outbound queue. Its flood limit is raised here: the grader's clients send in bursts on purpose.
 * It also has what the exercise leaves for "Go further": /nick, /who, /help, /quit, limits.
 */
export async function startBroadcastChat(
  port: number,
  host = '127.0.0.1',
): Promise<RunningBroadcastChat> {
  const chat = await listenRoomChat({
    host,
    port,
    closeTimeoutMs: 500,
    maxMessagesPerSecond: 10_000,
    maxMessageBurst: 10_000,
  });
  return {
    port: chat.address.port,
    close: async () => {
      await chat.close();
    },
  };
}
