import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { nextEvent, pollUntil } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { joinAs, startTestChat } from '../helpers/tcp-chat.ts';

const NC = process.env.NC_PATH ?? '/usr/bin/nc';

function startNc(port: number): { child: ChildProcess; output: () => string } {
  if (!existsSync(NC)) {
    throw new Error(
      `this test drives the real OpenBSD netcat at ${NC}, which is missing: install it with ` +
        '`sudo apt-get install netcat-openbsd` (or set NC_PATH)',
    );
  }
  // -N: shut down the socket's sending side (FIN) when stdin ends (Debian's OpenBSD netcat).
  const child = spawn(NC, ['-N', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += `[stderr] ${chunk.toString('utf8')}`;
  });
  return { child, output: () => output };
}

describe('line chat with the real nc', () => {
  it('lets an nc user chat: its line is broadcast, it receives others, and it leaves on EOF', async () => {
    const chat = await startTestChat();
    const alice = await joinAs(chat, 'alice');
    const { child, output } = startNc(chat.address.port);
    const joined = await alice.readLine(10_000);
    expect(joined).toMatch(/^\* guest\d+ joined$/);
    await pollUntil(() => output().includes('* welcome, you are'), 'the welcome line at nc', {
      ms: 10_000,
    });
    child.stdin?.write('/nick netcat\nhello from nc\n');
    expect(await alice.readLine(10_000)).toMatch(/^\* guest\d+ is now netcat$/);
    expect(await alice.readLine(10_000)).toBe('<netcat> hello from nc');
    await alice.send('hi nc\n');
    await pollUntil(() => output().includes('<alice> hi nc\n'), "alice's line at nc", {
      ms: 10_000,
    });
    const exited = nextEvent<[number | null]>(child, 'exit', 10_000);
    child.stdin?.end('bye, last line without a newline'); // EOF: nc -N sends FIN
    expect(await alice.readLine(10_000)).toBe('<netcat> bye, last line without a newline');
    expect(await alice.readLine(10_000)).toBe('* netcat left');
    const [code] = await exited; // the server answered the FIN with its own: nc exits
    expect(code, `nc output:\n${output()}`).toBe(0);
    expect(output()).toMatch(/^\* welcome, you are guest\d+ \(2 online\); type \/help/);
    expect(output()).toContain('* you are now netcat\n');
  });
});
