import { onTestFinished } from 'vitest';
import { startFakeChatServer } from './fake-chat-server.ts';
import { describeGateway } from './scenarios.ts';

describeGateway('against a stand-in contract server', async () => {
  const server = await startFakeChatServer();
  onTestFinished(() => server.close());
  return {
    url: server.url,
    io: server.io,
    tcpToken: (nick) => server.issueToken(nick),
    webToken: (nick) => server.issueToken(nick),
  };
});
