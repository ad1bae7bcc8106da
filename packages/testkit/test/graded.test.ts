import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectGraded, startGradedServer } from '../src/graded.ts';
import { listenOnFreePort } from '../src/ports.ts';
import { tempDir } from '../src/temp.ts';

/** A stage folder with one exercise whose solution exports `answer`; returns the spec's URL. */
async function fakeStage(): Promise<string> {
  const stage = await tempDir('testkit-graded-');
  mkdirSync(path.join(stage, 'exercises', '01-x'), { recursive: true });
  mkdirSync(path.join(stage, 'solutions', '01-x'), { recursive: true });
  writeFileSync(
    path.join(stage, 'solutions', '01-x', 'exercise.ts'),
    'export const answer = 42;\n',
  );
  return pathToFileURL(path.join(stage, 'exercises', '01-x', 'exercise.test.ts')).href;
}

describe('startGradedServer and connectGraded', () => {
  let closed = false;
  it('start the module a spec grades and connect a recording client to it', async () => {
    let answer: unknown;
    const server = await startGradedServer<{ answer: number }>(
      await fakeStage(),
      async (mod) => {
        answer = mod.answer;
        const echo = net.createServer((socket) => socket.pipe(socket));
        const { port } = await listenOnFreePort(echo);
        return { port, close: () => void echo.close(() => (closed = true)) };
      },
      { target: { kind: 'solutions' } },
    );
    const client = await connectGraded(server);
    await client.send('ping\n');
    expect(await client.readLine()).toBe('ping');
    expect(answer).toBe(42);
  });

  it('closed that server when the test finished', () => {
    expect(closed).toBe(true);
  });
});
