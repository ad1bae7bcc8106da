import { describe, expect, it, onTestFinished } from 'vitest';
import { type ChatApp, type ChatAppOptions, startChatApp } from '../../src/server/app.ts';
import { createChatAuth } from '../../src/server/auth.ts';
import { startTcpGateway, type TcpGatewayLimits } from '../../src/tcp/index.ts';
import { ask, connectGuest } from '../helpers/chat.ts';
import { connectNc } from './nc.ts';
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

/**
 * An app and a gateway in front of it, both closed when the test ends. `issueToken` follows
 * `current.app`, so a test that restarts the app points it at the new one.
 */
async function appWithGateway(
  appOptions: ChatAppOptions,
  limits: Partial<TcpGatewayLimits> = {},
): Promise<{ current: { app: ChatApp }; port: number }> {
  const current = { app: await startChatApp({ host: '127.0.0.1', port: 0, ...appOptions }) };
  onTestFinished(() => current.app.close());
  const gateway = await startTcpGateway({
    host: '127.0.0.1',
    port: 0,
    serverUrl: current.app.url,
    issueToken: async (nick) => (await current.app.issueGuestToken(nick)).token,
    limits,
  });
  onTestFinished(() => gateway.close());
  return { current, port: gateway.address.port };
}

describe("the nc gateway and the app's own rules", () => {
  it("relays the server's refusal of a text longer than it takes", async () => {
    const { port } = await appWithGateway({ limits: { maxTextLength: 10 } });
    const nc = await connectNc(port);
    await nc.waitFor(/^\* welcome/);
    await nc.say('much longer than ten characters');
    await nc.waitFor(/^! a message's text is 1 to 10 characters/);
    await nc.say('short');
    await nc.say('/who');
    await nc.waitFor('* in #lobby (1): guest1');
  });
});

describe("the nc gateway and the app's flood limit", () => {
  it("shows the app's refusals, then closes the user the app disconnects, saying why", async () => {
    const { port } = await appWithGateway(
      { limits: { messagesPerSecond: 1, messageBurst: 2 } },
      { maxMessagesPerSecond: 1000, maxMessageBurst: 1000, maxPendingLines: 100 },
    );
    const calm = await connectNc(port);
    await calm.waitFor(/^\* welcome/);
    const flooder = await connectNc(port);
    await flooder.waitFor(/^\* welcome/);
    await flooder.wire.send(Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join(''));
    await flooder.waitFor(/^! slow down: at most 1 messages a second/);
    const last = await flooder.closed();
    expect(last.at(-1)).toMatch(
      /^! REALTIME_ERR_RATE_LIMITED disconnected: you kept sending .*; closing your connection$/,
    );
    await calm.waitFor('<guest2> line 1');
    await calm.waitFor('* guest2 left #lobby');
    await calm.say('/who');
    await calm.waitFor('* in #lobby (1): guest1');
  });
});

describe('the nc gateway across a restart of the chat app', () => {
  it('tells the nc user, reconnects with a new token and goes on in the same room', async () => {
    // No jwtSecret: each app signs with its own random key, so the old token is refused and the
    // gateway asks for a new one (issueToken follows the running app).
    const { current, port: ncPort } = await appWithGateway(
      {},
      { reconnectDelayMs: 20, reconnectDelayMaxMs: 200, maxReconnectAttempts: 100 },
    );
    const port = current.app.port;
    const nc = await connectNc(ncPort);
    await nc.waitFor(/^\* welcome, you are guest1/);
    const before = await connectGuest(current.app, 'alice');
    await ask(before, 'join', { room: 'lobby' });
    await ask(before, 'send', { room: 'lobby', text: 'before the restart' });
    await nc.waitFor('<alice> before the restart');

    await current.app.close();
    await nc.waitFor(/^! CHAT_ERR_SHUTDOWN /);
    await nc.waitFor(/^! lost the chat server/);
    current.app = await startChatApp({ host: '127.0.0.1', port });
    await nc.waitFor("! the server's history of #lobby started over; showing what it has");
    await nc.waitFor(/^\* reconnected, back in #lobby; 0 missed messages/);

    const after = await connectGuest(current.app, 'alice');
    await ask(after, 'join', { room: 'lobby' });
    await nc.waitFor('* alice joined #lobby');
    await ask(after, 'send', { room: 'lobby', text: 'after the restart' });
    await nc.waitFor('<alice> after the restart');
    await nc.say('/who');
    await nc.waitFor('* in #lobby (2): guest1, alice');
  });
});

describe('startChatApp({ tcpProxyProtocol: true }): the nc port behind a proxy', () => {
  const proxiedApp = async (): Promise<ChatApp> => {
    const app = await startChatApp({
      host: '127.0.0.1',
      port: 0,
      tcpPort: 0,
      tcpProxyProtocol: true,
    });
    onTestFinished(() => app.close());
    return app;
  };

  it('reads the PROXY header first, then the nc user chats as any other', async () => {
    const app = await proxiedApp();
    const nc = await connectNc(app.tcpPort as number);
    // What nginx's `proxy_protocol on;` writes before the user's first byte.
    await nc.wire.send(`PROXY TCP6 2001:db8::7 ::1 56324 ${app.tcpPort}\r\n`);
    await nc.waitFor(/^\* welcome/);
    const web = await connectGuest(app, 'web');
    await ask(web, 'join', { room: 'lobby' });
    const heard = new Promise<{ text: string }>((resolve) => web.once('message', resolve));
    await nc.say('hello from behind the proxy');
    expect((await heard).text).toBe('hello from behind the proxy');
  });

  it('drops a connection that does not start with a PROXY header, saying nothing to it', async () => {
    const app = await proxiedApp();
    const nc = await connectNc(app.tcpPort as number);
    await nc.say('/nick mallory');
    expect(await nc.closed()).toEqual([]);
  });
});
