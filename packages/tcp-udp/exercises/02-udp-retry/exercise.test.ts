import dgram from 'node:dgram';
import {
  hexdump,
  lessonOf,
  loadExercise,
  pollUntil,
  printable,
  rejectionOf,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';

// This spec grades your requestWithRetry() against UDP servers it starts itself on 127.0.0.1,
// each misbehaving in one way: dropping requests, answering twice, answering late, sending a
// stale answer or garbage first, or never answering.
type Exercise = typeof import('./exercise.ts');
const lesson = lessonOf(import.meta.url);

interface Seen {
  id: number;
  type: number;
  payload: Buffer;
  at: number;
  bytes: Buffer;
}

/** What a scripted server sends back for the n-th request it receives (n from 1). */
type Script = (request: Seen, n: number, reply: (bytes: Uint8Array) => void) => void;

function envelope(type: number, id: number, payload: string | Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(id >>> 0, 1);
  return Buffer.concat([head, Buffer.from(payload)]);
}

async function startServer(script: Script): Promise<{ port: number; seen: Seen[] }> {
  const socket = dgram.createSocket('udp4');
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const seen: Seen[] = [];
  socket.on('message', (bytes, rinfo) => {
    const request: Seen = {
      type: bytes[0] ?? -1,
      id: bytes.length >= 5 ? bytes.readUInt32BE(1) : -1,
      payload: bytes.subarray(5),
      at: performance.now(),
      bytes,
    };
    seen.push(request);
    script(request, seen.length, (reply) => socket.send(reply, rinfo.port, rinfo.address));
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, seen };
}

function describeSeen(seen: Seen[]): string {
  if (seen.length === 0) return 'the server received nothing';
  return seen.map((s, i) => `request ${i + 1}:\n${hexdump(s.bytes, 64)}`).join('\n');
}

/** UDP sockets open in this process (a socket counts until its close has completed). */
const openUdpSockets = (): number =>
  process.getActiveResourcesInfo().filter((name) => name === 'UDPWrap').length;

/** Fails unless the sockets opened since `before` was counted are closed again. */
async function expectSocketClosed(before: number): Promise<void> {
  await pollUntil(() => openUdpSockets() <= before, 'the socket to close', { ms: 2000 }).catch(
    () => {
      throw new Error(
        `requestWithRetry settled but left its UDP socket open (${openUdpSockets() - before} more than before the call): a leaked socket keeps the process alive. Close it on every way out. ${lesson.see('Giving up')}`,
      );
    },
  );
}

async function call(
  port: number,
  payload: string,
  options: { timeoutMs: number; retries: number },
  seen: Seen[],
): Promise<Buffer> {
  const { requestWithRetry } = await loadExercise<Exercise>(import.meta.url);
  const before = openUdpSockets();
  let answer: Buffer;
  try {
    answer = await withTimeout(
      requestWithRetry('127.0.0.1', port, Buffer.from(payload), options),
      'requestWithRetry to settle',
      10_000,
    );
  } catch (err) {
    if (err instanceof Error && /not implemented yet/.test(err.message)) throw err;
    await expectSocketClosed(before);
    throw Object.assign(err as Error, { seen: describeSeen(seen) });
  }
  await expectSocketClosed(before);
  return answer;
}

function expectAnswer(got: Buffer, expected: string, seen: Seen[], section: string): void {
  if (got.toString() !== expected) {
    throw new Error(
      `expected the answer ${printable(expected)}, got ${printable(got)}.\n${describeSeen(seen)}\n${lesson.see(section)}`,
    );
  }
}

function expectRequests(seen: Seen[], count: number, section: string): void {
  const problems: string[] = [];
  if (seen.length !== count)
    problems.push(`expected ${count} request(s), the server received ${seen.length}`);
  if (seen.some((s) => s.type !== 1 || s.bytes.length < 5))
    problems.push('every request must start with type byte 1 and a 4-byte id');
  if (new Set(seen.map((s) => s.id)).size > 1)
    problems.push('every retry must carry the same request id as the first attempt');
  if (problems.length > 0)
    throw new Error(`${problems.join('; ')}.\n${describeSeen(seen)}\n${lesson.see(section)}`);
}

describe('requestWithRetry, a UDP client with timeouts and retries', () => {
  it('sends the envelope and returns the payload of the matching answer', async () => {
    const server = await startServer((req, _n, reply) =>
      reply(envelope(2, req.id, `echo:${req.payload}`)),
    );
    const got = await call(server.port, 'ping', { timeoutMs: 1000, retries: 0 }, server.seen);
    expectAnswer(got, 'echo:ping', server.seen, 'The envelope');
    expectRequests(server.seen, 1, 'The envelope');
    expect(server.seen[0]?.payload.toString()).toBe('ping');
  });

  it('retries, with the same id, until a server that drops the first 2 requests answers', async () => {
    const server = await startServer((req, n, reply) => {
      if (n >= 3) reply(envelope(2, req.id, 'third time lucky'));
    });
    const got = await call(server.port, 'x', { timeoutMs: 200, retries: 3 }, server.seen);
    expectAnswer(got, 'third time lucky', server.seen, 'Timeouts and retries');
    expectRequests(server.seen, 3, 'Timeouts and retries');
    const [a, b, c] = server.seen.map((s) => s.at);
    // A retry comes after the timeout, never at once. The times are taken where the server reads
    // each request, on the same event loop as your client: a busy machine can read the first one
    // late and shorten the gap it sees, so the bar is half the timeout. A client that retries at
    // once shows gaps of a millisecond or two.
    if (a === undefined || b === undefined || c === undefined || b - a < 100 || c - b < 100) {
      throw new Error(
        `retries came too soon: ${Math.round((b ?? 0) - (a ?? 0))} ms and ${Math.round((c ?? 0) - (b ?? 0))} ms apart, expected about timeoutMs (200) each. ${lesson.see('Timeouts and retries')}`,
      );
    }
  });

  it('fails with TCPUDP_ERR_RETRIES_EXHAUSTED after exactly retries + 1 attempts', async () => {
    const server = await startServer(() => {});
    const error = await rejectionOf(
      call(server.port, 'anyone?', { timeoutMs: 40, retries: 2 }, server.seen),
      'a request no one answers',
      lesson.see('Giving up'),
    );
    expect(error, lesson.see('Giving up')).toMatchObject({
      code: 'TCPUDP_ERR_RETRIES_EXHAUSTED',
    });
    await pollUntil(() => server.seen.length >= 3, 'three requests to arrive', { ms: 2000 });
    expectRequests(server.seen, 3, 'Giving up');
  });

  it('sends exactly once with retries: 0', async () => {
    const server = await startServer(() => {});
    await expect(
      call(server.port, 'once', { timeoutMs: 40, retries: 0 }, server.seen),
    ).rejects.toMatchObject({
      code: 'TCPUDP_ERR_RETRIES_EXHAUSTED',
    });
    expectRequests(server.seen, 1, 'Giving up');
  });

  it('ignores garbage, a stale answer and a stale error to another id, and its own request reflected back', async () => {
    const server = await startServer((req, _n, reply) => {
      reply(Buffer.from([2, 0])); // too short to be an envelope
      reply(envelope(2, (req.id + 1) >>> 0, 'stale answer to another request'));
      reply(envelope(3, (req.id + 1) >>> 0, 'an error for another request'));
      reply(envelope(1, req.id, 'a request, not an answer'));
      reply(envelope(9, req.id, 'unknown type'));
      reply(envelope(2, req.id, 'the real answer'));
    });
    const got = await call(server.port, 'q', { timeoutMs: 1000, retries: 0 }, server.seen).catch(
      (err: Error) => {
        throw new Error(
          `${err.message}\nThe server sent, in order: 2 bytes of garbage, a type 2 and a type 3 with another id, a type 1 and a type 9 with your id, then the answer. Only the last is yours: check length, type and id. ${lesson.see('Matching answers to requests')}`,
        );
      },
    );
    expectAnswer(got, 'the real answer', server.seen, 'Matching answers to requests');
  });

  it('accepts a late answer to the first attempt, and a duplicate of it, as the one answer', async () => {
    let first: Seen | undefined;
    const server = await startServer((req, n, reply) => {
      if (n === 1) first = req; // hold the answer back until the retry arrives
      if (n === 2 && first) {
        reply(envelope(2, first.id, 'late but right'));
        reply(envelope(2, req.id, 'late but right'));
      }
    });
    const got = await call(server.port, 'slow', { timeoutMs: 60, retries: 2 }, server.seen);
    expectAnswer(got, 'late but right', server.seen, 'Matching answers to requests');
  });

  it('rejects with TCPUDP_ERR_REMOTE and the server\u2019s text on an error response', async () => {
    const server = await startServer((req, _n, reply) => reply(envelope(3, req.id, 'no such key')));
    const error = await rejectionOf(
      call(server.port, 'get k', { timeoutMs: 1000, retries: 0 }, server.seen),
      'a request answered with an error',
      lesson.see('Error responses'),
    );
    expect(error, lesson.see('Error responses')).toMatchObject({
      code: 'TCPUDP_ERR_REMOTE',
    });
    expect(error.message).toContain('no such key');
  });

  it('uses a different id for each call', async () => {
    const server = await startServer((req, _n, reply) => reply(envelope(2, req.id, 'ok')));
    await call(server.port, 'a', { timeoutMs: 1000, retries: 0 }, server.seen);
    await call(server.port, 'b', { timeoutMs: 1000, retries: 0 }, server.seen);
    if (server.seen[0]?.id === server.seen[1]?.id) {
      throw new Error(
        `two calls used the same id ${server.seen[0]?.id}: a late answer to one would be taken for the other. ${lesson.see('Matching answers to requests')}`,
      );
    }
  });
});
