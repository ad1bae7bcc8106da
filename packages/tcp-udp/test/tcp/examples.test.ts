import { pollUntil, spawnSource, WireClient, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';

// The lessons quote these programs' output: run them, so the quotes stay true.
const PACKAGE_DIR = new URL('../..', import.meta.url);

async function run(example: string): Promise<string> {
  const { output, exited } = spawnSource(PACKAGE_DIR, `examples/${example}`);
  // tsx compiles the example first: on CI's loaded machine that alone has taken over 20 s
  const ms = process.env.CI === 'true' ? 50_000 : 20_000;
  const { code } = await withTimeout(exited, `examples/${example} to exit`, ms);
  expect(code, `examples/${example} exit code; it printed:\n${output()}`).toBe(0);
  return output();
}

describe.runIf(process.platform === 'linux')('the TCP examples', () => {
  it('closing.ts shows TIME-WAIT on the side that closed first, and none after a reset', async () => {
    const output = await run('closing.ts');
    const [one = '', two = '', three = ''] = output.split(/\n(?=\d\. )/).slice(1);
    expect(one).toMatch(/client 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+: TIME-WAIT/);
    expect(one).toMatch(/server .*: no TIME-WAIT/);
    expect(one).toContain('you said "hello", bye');
    expect(two).toMatch(/client .*: no TIME-WAIT/);
    expect(two).toMatch(/server .*: TIME-WAIT/);
    expect(three).toContain('close reasons: client reset, server error');
    expect(three).toContain('TCPUDP_ERR_CONNECTION');
    expect(three).not.toMatch(/: TIME-WAIT/);
  }, 30_000);

  it('tcp-errors.ts reports each failure with its typed code', async () => {
    const output = await run('tcp-errors.ts');
    expect(output).toContain('client: TCPUDP_ERR_CONNECTION (cause ECONNREFUSED)');
    expect(output).toContain('server: TCPUDP_ERR_CONNECTION (cause ECONNRESET)');
    expect(output).toMatch(/client write: TCPUDP_ERR_CONNECTION \(cause (EPIPE|ECONNRESET)\)/);
    expect(output).toContain('client: TCPUDP_ERR_CLOSED');
    expect(output).toContain('server: TCPUDP_ERR_TIMEOUT');
  }, 30_000);

  it('chat.ts prints how to join, lets a client in, and stops cleanly on SIGINT', async () => {
    const chat = spawnSource(PACKAGE_DIR, 'examples/chat.ts', ['0']);
    const port = await pollUntil(
      () => Number(/nc 127\.0\.0\.1 (\d+)/.exec(chat.output())?.[1]) || undefined,
      'the chat to print its port',
      { ms: 20_000 },
    );
    const client = await WireClient.connect('127.0.0.1', port);
    onTestFinished(() => client.close());
    expect(await client.readLine()).toMatch(/^\* welcome, you are guest1 \(1 online\)/);
    chat.child.kill('SIGINT');
    expect(await client.readLine()).toBe('* server shutting down');
    await client.readToEnd();
    expect((await withTimeout(chat.exited, 'the chat to exit after SIGINT')).code).toBe(0);
    expect(chat.output()).toContain('closed');
  }, 30_000);
});
