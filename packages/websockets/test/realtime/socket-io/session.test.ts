import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nextEvent, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { emitWithAckTimeout } from '../../../src/realtime/index.ts';
import { startFrameCapture, transcript } from './frame-capture.ts';
import { connectClient, startServer } from './harness.ts';

const FIXTURE = new URL('session.frames.txt', import.meta.url);
const LESSON = new URL('../../../lessons/socket-io.md', import.meta.url);
/** A fixed clock for the relayed message, so its frame is the same every run. */
const AT = 1_767_225_600_000;

/**
 * The short session lessons/socket-io.md decodes: connect with a name, a heartbeat, join a room
 * with an ack, a chat message relayed to the room, the server asking with an ack, a binary
 * upload, and the disconnect. Each step waits for the previous one's answer, so the order of the
 * frames is fixed.
 */
async function recordSession(): Promise<string[]> {
  // Engine.IO times its first ping from the transport's open, not from the namespace's connect:
  // long enough that the connect is answered first even on a loaded machine (200 ms was not).
  const { io, port } = await startServer({ pingInterval: 1500 });
  io.use((socket, next) => {
    socket.data.name = String(socket.handshake.auth.name);
    next();
  });
  let upload: (file: { name: string; bytes: Uint8Array }) => void = () => {};
  const uploaded = new Promise<{ name: string; bytes: Uint8Array }>((resolve) => {
    upload = resolve;
  });
  io.on('connection', (socket) => {
    socket.on('room:join', async (room, ack) => {
      await socket.join(room);
      ack({ members: (await io.in(room).fetchSockets()).length });
    });
    socket.on('chat:send', ({ room, text }) => {
      io.to(room).emit('chat:message', { room, text, from: socket.data.name, at: AT });
    });
    socket.on('file:upload', (file) => upload(file));
  });
  const capture = await startFrameCapture(port);
  onTestFinished(() => capture.close());

  const client = await connectClient(`http://127.0.0.1:${capture.port}`, { auth: { name: 'ann' } });
  await nextEvent(client.io as never, 'ping'); // the client answers the server's ping at once
  await emitWithAckTimeout(client, 2_000, 'room:join', 'lobby');
  const relayed = nextEvent(client as never, 'chat:message');
  client.emit('chat:send', { room: 'lobby', text: 'hi' });
  await relayed;
  client.on('server:ask', (_question, ack) => ack('yes'));
  const serverSide = io.sockets.sockets.get(client.id ?? '');
  if (!serverSide) throw new Error('no server socket');
  await emitWithAckTimeout(serverSide, 2_000, 'server:ask', 'ready?');
  client.emit('file:upload', { name: 'hello.bin', bytes: Uint8Array.of(1, 2, 3) });
  const file = await withTimeout(uploaded, 'the upload');
  expect(Buffer.from(file.bytes)).toEqual(Buffer.of(1, 2, 3));
  const gone = nextEvent(serverSide as never, 'disconnect');
  client.disconnect();
  await gone;
  return transcript(capture.messages);
}

describe('a Socket.IO session on the wire', () => {
  it('is the checked-in transcript (test/realtime/socket-io/session.frames.txt)', async () => {
    const lines = await recordSession();
    await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot(fileURLToPath(FIXTURE));
  });

  it('is quoted, line for line and in order, by lessons/socket-io.md', () => {
    const fixture = readFileSync(FIXTURE, 'utf8').trimEnd().split('\n');
    const lesson = readFileSync(LESSON, 'utf8');
    expect(fixture.length).toBeGreaterThan(10);
    // The lesson holds the transcript as one block, so it cannot drift from what the wire shows.
    expect(lesson).toContain(fixture.join('\n'));
  });
});
