import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort, listenTestServer } from '../src/ports.ts';
import { startProgram } from '../src/process.ts';
import { WireClient, WireError } from '../src/wire.ts';

function echoServer(host: '127.0.0.1' | '::1' = '127.0.0.1') {
  return listenTestServer((socket) => socket.pipe(socket), { host });
}

describe('WireClient', () => {
  it('reads lines and exact byte counts across chunk boundaries', async () => {
    const { host, port } = await echoServer('::1');
    const client = await WireClient.connect(host, port);
    onTestFinished(() => client.close());
    await client.send('one\ntw');
    await client.send('o\nxyz');
    expect(await client.readLine()).toBe('one');
    expect(await client.readLine()).toBe('two');
    expect((await client.readBytes(3)).toString()).toBe('xyz');
  });

  it('readLineBytes keeps the line ending as it came, so \\r\\n and \\n differ', async () => {
    const { host, port } = await echoServer();
    const client = await WireClient.connect(host, port);
    onTestFinished(() => client.close());
    await client.send('two\r\nthree\n');
    expect((await client.readLineBytes()).toString()).toBe('two\r\n');
    expect((await client.readLineBytes()).toString()).toBe('three\n');
  });

  it('fails a bounded read with the whole conversation in the message', async () => {
    const { host, port } = await echoServer();
    const client = await WireClient.connect(host, port);
    onTestFinished(() => client.close());
    await client.send('no newline');
    const error = await client.readLine(100).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WireError);
    expect((error as Error).message).toMatch(/timed out after 100 ms waiting for a line/);
    expect((error as Error).message).toContain('sent     "no newline"');
  });

  it('reports a refused connection clearly', async () => {
    const port = await freePort();
    await expect(WireClient.connect('127.0.0.1', port)).rejects.toThrow(
      /could not connect to 127.0.0.1/,
    );
  });
});

describe('startProgram', () => {
  it('starts a program with PORT set and waits until it accepts connections', async () => {
    const port = await freePort();
    const script =
      "const s=require('net').createServer(c=>c.pipe(c));s.listen(+process.env.PORT,'127.0.0.1')";
    const program = await startProgram(`node -e "${script}"`, { port });
    onTestFinished(() => program.stop());
    const client = await WireClient.connect('127.0.0.1', port);
    onTestFinished(() => client.close());
    await client.send('ping\n');
    expect(await client.readLine()).toBe('ping');
  });

  it('rejects with what the program printed when it exits before listening', async () => {
    await expect(startProgram('echo boom >&2; exit 3', { port: 1 })).rejects.toThrow(
      /exited with code 3 before listening[\s\S]*boom/,
    );
  });
});
