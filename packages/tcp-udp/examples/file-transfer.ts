/**
 * Sends files to a receiver on loopback and shows what happens: progress, a skip, a refusal.
 *   pnpm exec tsx --conditions=@socketlab/source examples/file-transfer.ts [file …]
 * With no file given, it makes two small ones in a temp dir. Everything it creates is removed.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFileReceiver, sendFiles } from '../src/index.ts';

const work = await mkdtemp(path.join(tmpdir(), 'socketlab-example-ft-'));
try {
  const inbox = path.join(work, 'inbox');
  await mkdir(inbox);
  let files = process.argv.slice(2);
  if (files.length === 0) {
    files = [path.join(work, 'hello.txt'), path.join(work, 'data.bin')];
    await writeFile(files[0] as string, 'hello, receiver\n');
    await writeFile(files[1] as string, Buffer.alloc(3 * 1024 * 1024, 0x2a));
  }
  const receiver = createFileReceiver({ directory: inbox });
  receiver.on('file', (e) =>
    console.log(`receiver: ${e.name} verified (${e.size} bytes) → ${e.path}`),
  );
  receiver.on('refused', (e) =>
    console.log(`receiver: refused ${JSON.stringify(e.name)}: ${e.reason}`),
  );
  const { port } = await receiver.listen();
  console.log(`receiver: listening on 127.0.0.1:${port}, writing into ${inbox}`);

  const entries = [
    ...files,
    files[0] as string,
    { path: files[0] as string, name: '../escape.txt' },
  ];
  let shown = -1;
  const results = await sendFiles('127.0.0.1', port, entries, {
    onProgress: ({ name, done, size }) => {
      const percent = size === 0 ? 100 : Math.floor((done / size) * 100);
      if (percent >= shown + 25 || done === size) {
        shown = done === size ? -1 : percent;
        console.log(`sender:   ${name} ${percent}%`);
      }
    },
  });
  for (const r of results) {
    console.log(`sender:   ${r.name}: ${r.status}${r.error ? ` (${r.error.message})` : ''}`);
  }
  await receiver.close();
} finally {
  await rm(work, { recursive: true, force: true });
}
