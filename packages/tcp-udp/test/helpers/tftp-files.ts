import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { createTftpServer, type TftpServerOptions } from '../../src/tftp/server.ts';

/** A fresh directory of files to serve, removed when the test ends; returns each file's bytes. */
export async function tftpRoot(
  files: Record<string, number | Buffer>,
): Promise<{ root: string; bytes: Record<string, Buffer> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'socketlab-tftp-'));
  onTestFinished(() => fs.rm(root, { recursive: true, force: true }));
  const bytes: Record<string, Buffer> = {};
  for (const [name, content] of Object.entries(files)) {
    const data = typeof content === 'number' ? randomBytes(content) : content;
    await fs.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fs.writeFile(path.join(root, name), data);
    bytes[name] = data;
  }
  return { root, bytes };
}

/** Starts our TFTP server on `root` (127.0.0.1, port 0), closed when the test ends. */
export async function startTftpServer(root: string, options: Partial<TftpServerOptions> = {}) {
  const server = createTftpServer({ root, timeoutMs: 200, ...options });
  onTestFinished(() => server.close());
  const { port } = await server.listen();
  return { server, port };
}

/** The SHA-256 of some bytes, in hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
