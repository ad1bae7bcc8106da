import { once } from 'node:events';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pollUntil, runCommandInProcess, tempDir, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runFtCli } from '../src/cli/command.ts';
import { uploadFile } from '../src/web/index.ts';
import {
  describeTree,
  makeTree,
  PROCESS_WAIT_MS,
  runSender,
  spawnReceiver,
  writeRandomFile,
} from './helpers/cli.ts';

const LONG = PROCESS_WAIT_MS * 3;

describe('socketlab-ft, the real command on free ports', () => {
  it(
    'sends a tree of mixed sizes (empty files and folders, unicode names, 200 MiB) byte-identical',
    async () => {
      const [src, dst] = [await tempDir('ft-src-'), await tempDir('ft-dst-')];
      const tree = path.join(src, 'tree');
      await makeTree(
        tree,
        {
          'hello.txt': 'hello\n',
          'empty.bin': '',
          'docs/été — 日本語 ✓.md': '# unicode\n',
          'docs/nested/deeper/small.bin': Buffer.alloc(4096, 7),
          'docs/nested/empty too.txt': '',
        },
        ['nothing-here', 'docs/nested/also empty'],
      );
      await mkdir(path.join(tree, 'big'));
      await writeRandomFile(path.join(tree, 'big/200MiB.bin'), 200 * 1024 * 1024);
      const single = path.join(src, 'à part.txt');
      await writeFile(single, 'a file named on its own\n');
      const receiver = await spawnReceiver(dst);
      const sent = await runSender([
        tree,
        single,
        `127.0.0.1:${receiver.port}`,
        '--code',
        receiver.code,
      ]);
      expect(sent.code, sent.err).toBe(0);
      expect(sent.out).toMatch(/^done: 7 files sent to 127\.0\.0\.1:\d+ .*0 refused, 0 failed/m);
      expect(
        await withTimeout(
          receiver.exited,
          'the receiver exits after a complete session',
          PROCESS_WAIT_MS,
        ),
      ).toEqual({
        code: 0,
        signal: null,
      });
      expect(receiver.stdout()).toMatch(
        /^done: 7 files received from 127\.0\.0\.1:\d+ .*, 0 already here, 7 folders/m,
      );
      expect(await describeTree(path.join(dst, 'tree'))).toEqual(await describeTree(tree));
      expect(await readFile(path.join(dst, 'à part.txt'), 'utf8')).toBe(
        'a file named on its own\n',
      );
      // No partial file is left behind.
      expect(
        (await readdir(dst, { recursive: true })).filter((n) => n.endsWith('.partial')),
      ).toEqual([]);
    },
    LONG,
  );

  it(
    'turns away a wrong code before writing a byte, then takes the right one',
    async () => {
      const [src, dst] = [await tempDir('ft-src-'), await tempDir('ft-dst-')];
      await makeTree(src, { 'a.txt': 'a\n', 'dir/b.txt': 'b\n' }, ['dir/empty']);
      const receiver = await spawnReceiver(dst, ['--code', 'otter-lime-sonar-kiwi']);
      expect(receiver.code).toBe('otter-lime-sonar-kiwi');
      const wrong = await runSender([
        path.join(src, 'dir'),
        `127.0.0.1:${receiver.port}`,
        '--code',
        'otter-lime-sonar-kiwj',
      ]);
      expect(wrong.code).toBe(1);
      expect(wrong.err).toMatch(/wrong code phrase.*\[FT_ERR_WRONG_CODE\]/);
      expect(await readdir(dst)).toEqual([]); // not even the folders
      expect(receiver.stderr()).toMatch(/turned away 127\.0\.0\.1:\d+: wrong code phrase/);
      // Case and separators do not matter.
      const right = await runSender([
        path.join(src, 'dir'),
        `127.0.0.1:${receiver.port}`,
        '--code',
        'Otter Lime_Sonar-KIWI',
      ]);
      expect(right.code, right.err).toBe(0);
      expect(await readFile(path.join(dst, 'dir/b.txt'), 'utf8')).toBe('b\n');
      expect((await readdir(path.join(dst, 'dir'))).sort()).toEqual(['b.txt', 'empty']);
    },
    LONG,
  );

  it(
    'refuses to replace an existing file unless the receiver has --overwrite, and skips an identical one',
    async () => {
      const [src, dst] = [await tempDir('ft-src-'), await tempDir('ft-dst-')];
      await makeTree(src, { 'a.txt': 'new\n', 'same.txt': 'same\n' });
      await makeTree(dst, { 'a.txt': 'old\n', 'same.txt': 'same\n' });
      const files = [path.join(src, 'a.txt'), path.join(src, 'same.txt')];
      const first = await spawnReceiver(dst);
      const refused = await runSender([...files, `127.0.0.1:${first.port}`, '--code', first.code]);
      expect(refused.code).toBe(1);
      expect(refused.out).toMatch(/^incomplete: 0 files sent .* 1 already there, 1 refused/m);
      expect(refused.out).toMatch(/refused a\.txt: .*already exists.*run it with --overwrite/);
      expect(await readFile(path.join(dst, 'a.txt'), 'utf8')).toBe('old\n');
      expect(first.stdout()).toMatch(/refused a\.txt: .*already exists/);
      first.child.kill('SIGINT');
      expect(
        await withTimeout(first.exited, 'the receiver stops on SIGINT', PROCESS_WAIT_MS),
      ).toEqual({ code: 0, signal: null });

      const second = await spawnReceiver(dst, ['--overwrite']);
      const replaced = await runSender([
        ...files,
        `127.0.0.1:${second.port}`,
        '--code',
        second.code,
      ]);
      expect(replaced.code, replaced.err).toBe(0);
      expect(await readFile(path.join(dst, 'a.txt'), 'utf8')).toBe('new\n');
    },
    LONG,
  );
});

describe('socketlab-ft, in process', () => {
  it('prints help for the program and each command', async () => {
    const top = await runCommandInProcess(runFtCli, ['--help']);
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/Usage: socketlab-ft <command>[\s\S]*receive[\s\S]*send/);
    const receive = await runCommandInProcess(runFtCli, ['receive', '--help']);
    expect(receive.out).toMatch(/^Usage: socketlab-ft receive \[--dir D\]/);
    expect(receive.out).toContain('--overwrite');
    expect(receive.out).toMatch(/--keep-partials DAYS[\s\S]*default 7; 0: never remove/);
    const send = await runCommandInProcess(runFtCli, ['send', '-h']);
    expect(send.out).toMatch(/^Usage: socketlab-ft send <path…> <host\[:port\]>/);
  });

  it.each([
    [['send', 'a.txt'], /at least one file or folder, then the receiver/],
    [['send', 'a.txt', '127.0.0.1:1'], /give the code phrase/],
    [['send', 'a.txt', '127.0.0.1:99999', '--code', 'x'], /--port must be from 1 to 65535/],
    [['send', 'a.txt', 'host:port', '--code', 'x'], /is not host:port/],
    [
      ['send', 'a.txt', 'h:1', '--code', 'x', '--fingerprint', 'nope'],
      /--fingerprint must look like/,
    ],
    [['receive', '--port', 'x'], /--port must be a whole number/],
    [['receive', 'extra'], /receive takes no arguments/],
    [['receive', '--dir', '/nonexistent/socketlab-ft'], /is not an existing folder/],
    [['receive', '--bogus'], /bogus/],
    [['bogus'], /unknown command "bogus"/],
  ])('exits 2 for %j', async (argv, message) => {
    const { code, err } = await runCommandInProcess(runFtCli, argv, {});
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it('exits 1 when the port is taken, saying what to do', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    onTestFinished(() => {
      server.close();
    });
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const dir = await tempDir('ft-dst-');
    const { code, err } = await runCommandInProcess(runFtCli, [
      'receive',
      '--dir',
      dir,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ]);
    expect(code).toBe(1);
    expect(err).toMatch(
      new RegExp(
        `cannot listen: port ${port} is in use: choose another with --port .*\\[EADDRINUSE\\]`,
      ),
    );
  });

  it('exits 1 with a clear message for a missing source file', async () => {
    const { code, err } = await runCommandInProcess(runFtCli, [
      'send',
      '/nonexistent/x.bin',
      '127.0.0.1:1',
      '--code',
      'a-b',
    ]);
    expect(code).toBe(1);
    expect(err).toMatch(/cannot read "\/nonexistent\/x\.bin": ENOENT \[FT_ERR_SOURCE\]/);
  });

  it('exits 1 when the receiver is not there, saying so', async () => {
    const src = await tempDir('ft-src-');
    await makeTree(src, { 'a.txt': 'a' });
    const { code, err } = await runCommandInProcess(runFtCli, [
      'send',
      path.join(src, 'a.txt'),
      '127.0.0.1:1',
      '--code',
      'a-b',
    ]);
    expect(code).toBe(1);
    expect(err).toMatch(/cannot connect to 127\.0\.0\.1:1: .*ECONNREFUSED.*\[FT_ERR_CONNECTION\]/);
  });
});

describe('socketlab-ft receive --web, the real command', () => {
  it(
    'serves the upload page beside the port, takes the same code phrase however it is typed, and keeps going',
    async () => {
      const [src, dst] = [await tempDir('ft-web-src-'), await tempDir('ft-web-dst-')];
      const receiver = await spawnReceiver(dst, ['--web', '--web-port', '0']);
      const page = await pollUntil(
        () => /^or open (http:\/\/\S+\/) in a browser/m.exec(receiver.stdout())?.[1],
        'the page URL',
        { ms: PROCESS_WAIT_MS },
      );
      // The page itself, once built (pnpm build, pnpm start); before, the receiver says so.
      const index = await fetch(page);
      const body = await index.text();
      if (index.status === 200) expect(body).toMatch(/<html/i);
      else
        expect([index.status, body]).toEqual([404, expect.stringMatching(/not built.*pnpm build/)]);
      const file = path.join(src, 'from the page.txt');
      await writeFile(file, 'dropped in a browser\n');
      // Spelled as a person might type it: upper case, spaces for dashes.
      const typed = receiver.code.toUpperCase().replaceAll('-', ' ');
      await uploadFile(page, file, { code: typed });
      await pollUntil(
        () => /^received from the page\.txt from the page/m.test(receiver.stdout()),
        'the receiver to report the upload',
        { ms: PROCESS_WAIT_MS },
      );
      expect(await readFile(path.join(dst, 'from the page.txt'), 'utf8')).toBe(
        'dropped in a browser\n',
      );
      // A sender on the command line after it: --web keeps the receiver going.
      const second = path.join(src, 'then the terminal.txt');
      await writeFile(second, 'sent with the command\n');
      const sent = await runSender([second, `127.0.0.1:${receiver.port}`, '--code', receiver.code]);
      expect(sent.code).toBe(0);
      expect(receiver.stdout()).not.toMatch(/^still listening/m);
      expect(await readdir(dst)).toEqual(
        expect.arrayContaining(['from the page.txt', 'then the terminal.txt']),
      );
    },
    LONG,
  );

  it('refuses --web-port without --web', async () => {
    const { code, err } = await runCommandInProcess(runFtCli, ['receive', '--web-port', '9']);
    expect(code).toBe(2);
    expect(err).toMatch(/--web-port goes with --web/);
  });
});
