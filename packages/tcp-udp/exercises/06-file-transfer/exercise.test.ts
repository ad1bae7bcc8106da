import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import {
  connectGraded,
  describeByteDifference,
  isModuleTarget,
  lessonOf,
  loadExercise,
  pollUntil,
  printable,
  resolveTarget,
  type ServerUnderTest,
  seededBytes,
  startGradedServer,
  tempDir,
  type WireClient,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';

// The receiver is graded on the wire, so it can be a program in any language:
//   SOCKETLAB_TARGET='cmd:python3 receiver.py'  (told PORT, and the directory in RECEIVE_DIR)
//   SOCKETLAB_TARGET=addr:127.0.0.1:7000        (then set RECEIVE_DIR to the directory it writes)
// The sender (sendFile) is a function: it is graded only for the solutions/exercises targets.
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);
const sha256Of = (bytes: Uint8Array | string): string =>
  createHash('sha256').update(bytes).digest('hex');
let counter = 0;
const uniqueName = (stem: string): string =>
  `${stem}-${process.pid}-${Date.now().toString(36)}-${counter++}.bin`;

interface Target {
  server: ServerUnderTest;
  /** The receiver's directory. */
  dir: string;
  /** Its parent: a traversal would land here. */
  parent: string;
}

/** The idle timeout the idle tests give the receiver (a running `addr:` one says its own). */
const IDLE_TIMEOUT_MS = 400;

/**
 * Starts the receiver under test; with `idleTimeoutMs`, as its `options.idleTimeoutMs` (a `cmd:`
 * program is told it in `IDLE_TIMEOUT_MS`; an `addr:` one must already use `IDLE_TIMEOUT_MS`).
 */
async function startTarget(idleTimeoutMs?: number): Promise<Target> {
  const target = resolveTarget();
  if (target.kind === 'cmd') {
    if (idleTimeoutMs === undefined) delete process.env.IDLE_TIMEOUT_MS;
    else process.env.IDLE_TIMEOUT_MS = String(idleTimeoutMs);
  }
  let dir: string;
  if (target.kind === 'addr') {
    dir = process.env.RECEIVE_DIR ?? '';
    if (!dir)
      throw new Error(
        'with SOCKETLAB_TARGET=addr:…, set RECEIVE_DIR to the directory your receiver writes into',
      );
  } else {
    dir = path.join(await tempDir('socketlab-ex06-'), 'inbox');
    await mkdir(dir);
    process.env.RECEIVE_DIR = dir; // a cmd: target inherits the environment
  }
  const server = await startGradedServer<Exercise>(
    import.meta.url,
    (mod) =>
      mod.startFileReceiver(
        dir,
        0,
        '127.0.0.1',
        idleTimeoutMs === undefined ? undefined : { idleTimeoutMs },
      ),
    {
      uncaughtHint: `Give every socket and stream an 'error' listener: one bad sender must not stop the receiver. ${lesson.see('Your task')}`,
    },
  );
  return { server, dir, parent: path.dirname(dir) };
}

const connect = ({ server }: Target): Promise<WireClient> => connectGraded(server);

async function expectLine(
  client: WireClient,
  expected: string | RegExp,
  section: string,
): Promise<string> {
  const line = await client.readLine();
  const ok = typeof expected === 'string' ? line === expected : expected.test(line);
  if (!ok) {
    throw client.fail(
      `expected the line ${printable(String(expected))}, got ${printable(line)} (${lesson.see(section)})`,
    );
  }
  return line;
}

/** header → READY → body (in the given pieces) → the verdict line, which is returned. */
async function transfer(
  target: Target,
  name: string,
  body: Buffer,
  options: { sha256?: string; pieces?: number } = {},
): Promise<string> {
  const client = await connect(target);
  await client.send(`${name} ${body.length} ${options.sha256 ?? sha256Of(body)}\n`);
  await expectLine(client, 'READY', 'The protocol');
  const pieces = Math.max(1, options.pieces ?? 1);
  const step = Math.ceil(body.length / pieces) || 1;
  for (let at = 0; at < body.length; at += step) await client.send(body.subarray(at, at + step));
  return client.readLine();
}

async function expectSaved(
  target: Target,
  name: string,
  body: Buffer,
  seed?: number,
): Promise<void> {
  const saved = await readFile(path.join(target.dir, name)).catch(() => undefined);
  if (!saved)
    throw new Error(
      `${name} was not saved in the receiver's directory (${lesson.see('A partial file, then a rename')})`,
    );
  const difference = describeByteDifference(body, saved);
  expect(
    difference,
    `the saved ${name}${seed === undefined ? '' : ` (seed ${seed})`}`,
  ).toBeUndefined();
}

async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

describe('a file receiver (the protocol of exercise 06)', () => {
  it('receives a small file: READY, then OK with its SHA-256, then the file is in place', async () => {
    const target = await startTarget();
    const name = uniqueName('hello');
    const body = Buffer.from('hello, file\n');
    const before = await entries(target.dir);
    expect(await transfer(target, name, body), 'the verdict line').toBe(`OK ${sha256Of(body)}`);
    await expectSaved(target, name, body);
    expect(
      await entries(target.dir),
      'the directory afterwards: the file and nothing else (no partial file left)',
    ).toEqual([...before, name].sort());
  });

  it('receives a header and a body that arrive in many small pieces', async () => {
    const target = await startTarget();
    const name = uniqueName('pieces');
    const body = seededBytes(6, 3000);
    const client = await connect(target);
    const header = `${name} ${body.length} ${sha256Of(body)}\n`;
    for (let at = 0; at < header.length; at += 7) await client.send(header.slice(at, at + 7));
    await expectLine(client, 'READY', 'The protocol');
    for (let at = 0; at < body.length; at += 333) await client.send(body.subarray(at, at + 333));
    await expectLine(client, `OK ${sha256Of(body)}`, 'The protocol');
    await expectSaved(target, name, body, 6);
  });

  it('receives an empty file and a 2 MiB file of seeded random bytes (seed 61)', async () => {
    const target = await startTarget();
    const empty = uniqueName('empty');
    expect(await transfer(target, empty, Buffer.alloc(0))).toBe(`OK ${sha256Of('')}`);
    await expectSaved(target, empty, Buffer.alloc(0));
    const big = uniqueName('big');
    const body = seededBytes(61, 2 * 1024 * 1024);
    expect(await transfer(target, big, body, { pieces: 16 })).toBe(`OK ${sha256Of(body)}`);
    await expectSaved(target, big, body, 61);
  });

  it('rejects a body that does not match the hash: ERR integrity, no file, no partial file', async () => {
    const target = await startTarget();
    const name = uniqueName('liar');
    const before = await entries(target.dir);
    const line = await transfer(target, name, Buffer.from('the real bytes'), {
      sha256: sha256Of('other bytes'),
    });
    expect(
      line,
      `the verdict for a body whose SHA-256 differs (${lesson.see('Why a size and a hash')})`,
    ).toMatch(/^ERR integrity\b/);
    expect(await entries(target.dir), 'the directory: nothing may be kept').toEqual(before);
  });

  it.each([
    ['a traversal', '../escape.bin'],
    ['a deeper traversal', '../../etc/passwd'],
    ['an absolute path', '/tmp/absolute.bin'],
    ['a subdirectory', 'sub/file.bin'],
    ['a backslash', '..\\escape.bin'],
    ['a hidden name', '.hidden'],
    ['the parent itself', '..'],
    ['a Windows device name', 'NUL'],
    ['a device name with an extension', 'com1.txt'],
    ['a trailing dot', 'name.'],
    ['a NUL byte', 'a\0b.bin'],
    ['a name of 256 characters', 'x'.repeat(256)],
  ])('refuses %s (%j) with ERR unsafe-name and writes nothing anywhere', async (_, name) => {
    const target = await startTarget();
    const [inside, outside] = [await entries(target.dir), await entries(target.parent)];
    const client = await connect(target);
    await client.send(`${name} 4 ${sha256Of('evil')}\n`);
    await expectLine(client, /^ERR unsafe-name\b/, 'Path traversal');
    expect(await entries(target.dir), 'the receiver directory').toEqual(inside);
    expect(await entries(target.parent), 'the directory above it').toEqual(outside);
  });

  it.each([
    ['a missing field', () => `${uniqueName('a')} 5\n`],
    ['an extra field', () => `${uniqueName('a')} 5 ${sha256Of('hello')} x\n`],
    ['a negative size', () => `${uniqueName('a')} -1 ${sha256Of('')}\n`],
    ['a size with a leading zero', () => `${uniqueName('a')} 05 ${sha256Of('hello')}\n`],
    ['a size in exponent form', () => `${uniqueName('a')} 1e3 ${sha256Of('')}\n`],
    ['a hash in upper case', () => `${uniqueName('a')} 5 ${sha256Of('hello').toUpperCase()}\n`],
    ['a short hash', () => `${uniqueName('a')} 5 abc123\n`],
    ['two spaces', () => `${uniqueName('a')}  5 ${sha256Of('hello')}\n`],
    ['a header line over 512 bytes', () => 'x'.repeat(513)],
  ])('refuses a header with %s: ERR bad-header', async (_, header) => {
    const target = await startTarget();
    const client = await connect(target);
    await client.send(header());
    await expectLine(client, /^ERR bad-header\b/, 'The protocol');
  });

  it('refuses a file over 10 MiB with ERR too-large, before any body byte', async () => {
    const target = await startTarget();
    const client = await connect(target);
    await client.send(`${uniqueName('huge')} ${10 * 1024 * 1024 + 1} ${sha256Of('')}\n`);
    await expectLine(client, /^ERR too-large\b/, 'The protocol');
  });

  it('never overwrites: a second file of the same name gets ERR exists', async () => {
    const target = await startTarget();
    const name = uniqueName('twice');
    expect(await transfer(target, name, Buffer.from('first'))).toBe(`OK ${sha256Of('first')}`);
    const client = await connect(target);
    await client.send(`${name} 6 ${sha256Of('second')}\n`);
    await expectLine(client, /^ERR exists\b/, 'A partial file, then a rename');
    await expectSaved(target, name, Buffer.from('first'));
  });

  it('does not write through a symlink planted where its partial file goes', async () => {
    const target = await startTarget();
    const name = uniqueName('planted');
    const outside = path.join(target.parent, `${name}.outside`);
    await symlink(outside, path.join(target.dir, `.${name}.partial`)); // dangling: nothing there yet
    const client = await connect(target);
    await client.send(`${name} 4 ${sha256Of('evil')}\n`);
    // Refusing (ERR …, or closing) is right; READY is acceptable only if the bytes do not follow the link.
    const answer = await client.readLine().catch(() => '(closed)');
    if (answer === 'READY') {
      await client.send('evil');
      await client.readLine().catch(() => '(closed)');
    }
    const escaped = await lstat(outside).then(
      () => true,
      () => false,
    );
    expect(
      escaped,
      `a symlink .${name}.partial -> ${outside} was in the directory, and the receiver created the file it points to: open the partial file with the 'wx' flag (O_CREAT | O_EXCL), which fails if anything, a symlink included, is there (${lesson.see('Path traversal')})`,
    ).toBe(false);
  });

  it('serves another sender while one sits silent mid-header, and survives one that vanishes mid-body', async () => {
    const target = await startTarget();
    const silent = await connect(target);
    await silent.send('half-a-head');
    const vanishing = await connect(target);
    const lost = uniqueName('lost');
    await vanishing.send(`${lost} 1000 ${sha256Of(Buffer.alloc(1000))}\n`);
    await expectLine(vanishing, 'READY', 'The protocol');
    await vanishing.send(Buffer.alloc(400));
    expect(
      await entries(target.dir),
      `${lost} is visible in the directory before its last byte arrived: write into .${lost}.partial and move it into place only after the hash matches (${lesson.see('A partial file, then a rename')})`,
    ).not.toContain(lost);
    vanishing.close();
    const name = uniqueName('meanwhile');
    const line = await withTimeout(
      transfer(target, name, Buffer.from('served')),
      'a transfer while another sender is silent',
    );
    expect(
      line,
      'a receiver that serves one connection at a time blocks everyone behind a silent sender',
    ).toBe(`OK ${sha256Of('served')}`);
    expect(
      await entries(target.dir),
      `a sender that vanished mid-body must leave no ${lost}`,
    ).not.toContain(lost);
  });
});

describe('a file receiver drops a silent sender (idleTimeoutMs)', () => {
  // An addr: target was started by hand: IDLE_TIMEOUT_MS says what it was given.
  const idleMs = (): number =>
    resolveTarget().kind === 'addr'
      ? Number(process.env.IDLE_TIMEOUT_MS ?? 30_000)
      : IDLE_TIMEOUT_MS;

  it('answers ERR timeout and closes when a header line stops half way', async () => {
    const target = await startTarget(IDLE_TIMEOUT_MS);
    const client = await connect(target);
    await client.send('half-a-head');
    const line = await client.readLine(idleMs() + 5000);
    if (!/^ERR timeout\b/.test(line)) {
      throw client.fail(
        `expected ERR timeout after ${idleMs()} ms of silence mid-header, got ${printable(line)} (${lesson.see('Silent senders: an idle timeout')})`,
      );
    }
    await client.readToEnd(5000).catch((error: Error) => {
      throw new Error(
        `${error.message}: after ERR timeout, close the connection (${lesson.see('Silent senders: an idle timeout')})`,
      );
    });
  });

  it('answers ERR timeout mid-body, keeps neither the file nor its partial, and serves the next sender', async () => {
    const target = await startTarget(IDLE_TIMEOUT_MS);
    const name = uniqueName('stalled');
    const before = await entries(target.dir);
    const stalled = await connect(target);
    await stalled.send(`${name} 1000 ${sha256Of(Buffer.alloc(1000))}\n`);
    await expectLine(stalled, 'READY', 'The protocol');
    await stalled.send(Buffer.alloc(400)); // then nothing: 600 bytes never come
    const line = await stalled.readLine(idleMs() + 5000);
    if (!/^ERR timeout\b/.test(line)) {
      throw stalled.fail(
        `expected ERR timeout after ${idleMs()} ms of silence mid-body, got ${printable(line)} (${lesson.see('Silent senders: an idle timeout')})`,
      );
    }
    await stalled.readToEnd(5000);
    await pollUntil(
      async () => {
        const now = await entries(target.dir);
        return now.length === before.length && now.every((entry, i) => entry === before[i]);
      },
      `the directory to hold neither ${name} nor .${name}.partial once the sender timed out (${lesson.see('Silent senders: an idle timeout')})`,
      { ms: 5000, intervalMs: 25, maxTries: 1_000 },
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; it holds ${JSON.stringify(await entries(target.dir))}`);
    });
    // The next sender, header and body in one write (no pause for a timer to fire in), is served.
    const next = uniqueName('after-stall');
    const client = await connect(target);
    await client.send(
      Buffer.concat([Buffer.from(`${next} 6 ${sha256Of('served')}\n`), Buffer.from('served')]),
    );
    await expectLine(client, 'READY', 'The protocol');
    await expectLine(client, `OK ${sha256Of('served')}`, 'The protocol');
    await expectSaved(target, next, Buffer.from('served'));
  });
});

/** A scripted receiver for grading sendFile: records what arrived, answers as told. */
async function scriptedReceiver(
  answer: (header: string) => string,
  verdict: (body: Buffer) => string = (body) => `OK ${sha256Of(body)}`,
) {
  let closed: () => void = () => {};
  const seen = {
    header: '',
    /** Bytes that came with the header line, before READY could have been read. */
    bodyBeforeReady: 0,
    /** Bytes that came after an ERR answer: a sender must not send the body then. */
    afterRefusal: 0,
    body: Buffer.alloc(0),
    closed: new Promise<void>((resolve) => {
      closed = resolve;
    }),
  };
  const server = net.createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let size = -1;
    let refused = false;
    socket.on('error', () => {});
    socket.on('close', () => closed());
    socket.on('data', (chunk: Buffer) => {
      if (refused) {
        seen.afterRefusal += chunk.length;
        return;
      }
      buffer = Buffer.concat([buffer, chunk]);
      if (size < 0) {
        const at = buffer.indexOf(0x0a);
        if (at < 0) return;
        seen.header = buffer.subarray(0, at).toString('utf8');
        seen.bodyBeforeReady = buffer.length - at - 1;
        buffer = buffer.subarray(at + 1);
        const reply = answer(seen.header);
        socket.write(`${reply}\n`);
        if (reply !== 'READY') {
          refused = true;
          seen.afterRefusal = buffer.length;
          return void socket.end();
        }
        size = Number(seen.header.split(' ')[1]);
      }
      if (buffer.length >= size) {
        seen.body = buffer;
        socket.end(`${verdict(buffer)}\n`);
      }
    });
  });
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, seen };
}

// sendFile is a function in your module: only the solutions and exercises targets have one.
if (isModuleTarget()) {
  describe('a file sender (sendFile)', () => {
    it('sends "name size sha256\\n", waits for READY, sends the bytes, resolves with the hash', async () => {
      const { sendFile } = await loadExercise<Exercise>(import.meta.url);
      const dir = await tempDir('socketlab-ex06-');
      const body = seededBytes(7, 200_000);
      await writeFile(path.join(dir, 'data.bin'), body);
      const receiver = await scriptedReceiver(() => 'READY');
      const sha = await withTimeout(
        sendFile('127.0.0.1', receiver.port, path.join(dir, 'data.bin'), 'renamed.bin'),
        'sendFile',
      );
      expect(receiver.seen.header, 'the header line the sender sent').toBe(
        `renamed.bin ${body.length} ${sha256Of(body)}`,
      );
      expect(
        receiver.seen.bodyBeforeReady,
        `body bytes sent before READY arrived (${lesson.see('The protocol')})`,
      ).toBe(0);
      expect(
        describeByteDifference(body, receiver.seen.body),
        'the body received (seed 7)',
      ).toBeUndefined();
      expect(sha).toBe(sha256Of(body));
    });

    it('rejects with the ERR line when the receiver refuses', async () => {
      const { sendFile } = await loadExercise<Exercise>(import.meta.url);
      const dir = await tempDir('socketlab-ex06-');
      await writeFile(path.join(dir, 'x.bin'), 'x');
      const receiver = await scriptedReceiver(
        () => 'ERR exists a file of that name is already here',
      );
      await expect(
        withTimeout(sendFile('127.0.0.1', receiver.port, path.join(dir, 'x.bin')), 'sendFile'),
      ).rejects.toThrow(/ERR exists/);
      expect(receiver.seen.header).toBe(`x.bin 1 ${sha256Of('x')}`);
      await withTimeout(receiver.seen.closed, 'the sender to close the connection after ERR');
      expect(
        receiver.seen.afterRefusal,
        `body bytes sent although the answer was ERR: wait for READY before the body (${lesson.see('The protocol')})`,
      ).toBe(0);
    });

    it('rejects when the receiver answers the body with ERR integrity instead of OK', async () => {
      const { sendFile } = await loadExercise<Exercise>(import.meta.url);
      const dir = await tempDir('socketlab-ex06-');
      await writeFile(path.join(dir, 'y.bin'), 'some bytes');
      const receiver = await scriptedReceiver(
        () => 'READY',
        () => `ERR integrity the bytes hash to ${sha256Of('something else')}`,
      );
      const outcome = await withTimeout(
        sendFile('127.0.0.1', receiver.port, path.join(dir, 'y.bin')),
        'sendFile',
      ).then(
        (sha) => `resolved with ${sha}`,
        (error: Error) => error.message,
      );
      if (/not implemented yet/.test(outcome)) throw new Error(outcome);
      expect(
        outcome,
        `after the body, the receiver said ERR integrity: the file was not kept, so sendFile must read that last line and reject with it, not resolve (${lesson.see('The protocol')})`,
      ).toMatch(/ERR integrity/);
    });

    it('round-trips through your own receiver', async () => {
      const { sendFile, startFileReceiver, isSafeName, parseHeader } = await loadExercise<Exercise>(
        import.meta.url,
      );
      const [src, dst] = [await tempDir('socketlab-ex06-'), await tempDir('socketlab-ex06-')];
      const body = seededBytes(8, 70_000);
      await writeFile(path.join(src, 'trip.bin'), body);
      const receiver = await startFileReceiver(dst);
      onTestFinished(() => receiver.close());
      expect(
        await withTimeout(
          sendFile('127.0.0.1', receiver.port, path.join(src, 'trip.bin')),
          'sendFile',
        ),
      ).toBe(sha256Of(body));
      expect(sha256Of(await readFile(path.join(dst, 'trip.bin')))).toBe(sha256Of(body));
      expect(isSafeName('ok-name_1.txt') && !isSafeName('../x') && !isSafeName('Lpt9.log')).toBe(
        true,
      );
      expect(parseHeader(`a.txt 5 ${sha256Of('hello')}`)).toEqual({
        name: 'a.txt',
        size: 5,
        sha256: sha256Of('hello'),
      });
      expect(() => parseHeader('a.txt 5')).toThrow(/^bad-header/);
    });
  });
}
