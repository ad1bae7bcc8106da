import { onTestFinished } from 'vitest';
import { startChatApp } from '../../src/server/app.ts';
import { createChatAuth } from '../../src/server/auth.ts';
import { describeGateway } from './scenarios.ts';

const jwtSecret = 'a test secret of at least 32 bytes, for tcp tokens';

describeGateway('against the chat app', async () => {
  const app = await startChatApp({ host: '127.0.0.1', port: 0, jwtSecret });
  onTestFinished(() => app.close());
  // The app signs the gateway's users `via: tcp` (each then counts on its own for the
  // per-address limits); a ChatAuth with the same secret issues the same tokens.
  const auth = createChatAuth({ jwtSecret });
  return {
    url: app.url,
    io: app.io,
    tcpToken: async (nick) => auth.issueGuestToken(nick, 'tcp').token,
    webToken: async (nick) => (await app.issueGuestToken(nick)).token,
  };
});
