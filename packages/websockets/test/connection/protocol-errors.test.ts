import { nextEvent } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import type { WebSocketConnection, WebSocketServerOptions } from '../../src/connection/index.ts';
import type { WebSocketError } from '../../src/errors.ts';
import { OPCODES } from '../../src/frame/index.ts';
import { closeCodeOf, closeOf, RawPeer, startServer } from './peers.ts';

/** A server, a raw peer connected to it, and the server's end with its error and close recorded. */
async function rawSession(options: WebSocketServerOptions = {}) {
  const wss = await startServer(options);
  const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
  const peer = await RawPeer.connect(wss.port);
  const [server] = await accepted;
  const errors: WebSocketError[] = [];
  server.on('error', (err) => errors.push(err));
  const closed = closeOf(server);
  return { peer, server, errors, closed };
}

describe('a peer that breaks the protocol', () => {
  it.each([
    {
      name: 'an unmasked frame from a client',
      send: (peer: RawPeer) =>
        peer.sendFrame({ opcode: OPCODES.TEXT, payload: Buffer.from('x'), mask: false }),
      code: 1002,
      error: 'WEBSOCKET_ERR_PROTOCOL',
    },
    {
      name: 'a continuation with no message started',
      send: (peer: RawPeer) =>
        peer.sendFrame({ opcode: OPCODES.CONTINUATION, payload: Buffer.from('x') }),
      code: 1002,
      error: 'WEBSOCKET_ERR_PROTOCOL',
    },
    {
      name: 'a reserved bit no extension allows',
      send: (peer: RawPeer) => peer.sendFrame({ opcode: OPCODES.TEXT, rsv1: true }),
      code: 1002,
      error: 'WEBSOCKET_ERR_PROTOCOL',
    },
    {
      name: 'text that is not UTF-8',
      send: (peer: RawPeer) =>
        peer.sendFrame({ opcode: OPCODES.TEXT, payload: Buffer.from([0x68, 0xc3, 0x28]) }),
      code: 1007,
      error: 'WEBSOCKET_ERR_INVALID_UTF8',
    },
    {
      name: 'a frame over maxPayloadBytes',
      send: (peer: RawPeer) =>
        peer.sendFrame({ opcode: OPCODES.BINARY, payload: Buffer.alloc(1025) }),
      code: 1009,
      error: 'WEBSOCKET_ERR_MESSAGE_TOO_BIG',
    },
    {
      name: 'fragments adding up to more than maxPayloadBytes',
      send: (peer: RawPeer) => {
        peer.sendFrame({ opcode: OPCODES.BINARY, fin: false, payload: Buffer.alloc(1000) });
        peer.sendFrame({ opcode: OPCODES.CONTINUATION, payload: Buffer.alloc(1000) });
      },
      code: 1009,
      error: 'WEBSOCKET_ERR_MESSAGE_TOO_BIG',
    },
  ])(
    'answers $name with a close frame $code, then ends the connection',
    async ({ send, code, error }) => {
      const { peer, errors, closed } = await rawSession({ maxPayloadBytes: 1024 });
      send(peer);
      const frame = await peer.nextFrame('the close frame');
      expect(frame.opcode).toBe(OPCODES.CLOSE);
      expect(closeCodeOf(frame)).toBe(code);
      await peer.waitEnded();
      peer.socket.end();
      expect((await closed).code).toBe(code);
      expect(errors.map((e) => e.code)).toEqual([error]);
    },
  );

  it('fails invalid UTF-8 inside a long frame before the rest of the frame arrives', async () => {
    const { peer, closed } = await rawSession();
    // A 100 000-byte text frame whose first payload bytes are already impossible UTF-8: send the
    // header (masking key 0, so the payload goes as is) and 4 bytes, then nothing more.
    const header = Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0, 1, 0x86, 0xa0, 0, 0, 0, 0]);
    peer.socket.write(Buffer.concat([header, Buffer.from([0x61, 0xff, 0x62, 0x63])]));
    const frame = await peer.nextFrame('the close frame');
    expect(closeCodeOf(frame)).toBe(1007);
    await peer.waitEnded();
    peer.socket.end();
    expect((await closed).code).toBe(1007);
  });

  it('does not throw when nobody listens for errors', async () => {
    const wss = await startServer();
    const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
    const peer = await RawPeer.connect(wss.port);
    const [server] = await accepted;
    const closed = closeOf(server);
    peer.sendFrame({ opcode: OPCODES.PING, payload: Buffer.from('x'), mask: false });
    expect(closeCodeOf(await peer.nextFrame('the close frame'))).toBe(1002);
    peer.socket.end();
    expect((await closed).code).toBe(1002);
  });
});
