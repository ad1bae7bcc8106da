/**
 * An incremental SHA-256 that can run off the event loop. Hashing costs about one second of CPU
 * per GiB; on the receiver's event loop that second competes with reading the socket. A worker
 * thread hashes in parallel instead: each chunk is handed over by transfer (no copy) once it has
 * been written to disk, and the digest comes back as a message.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** A running SHA-256: feed chunks in order, then ask for the digest once. */
export interface Sha256Hasher {
  /** True when `update` takes the chunks' memory: write them before you hand them over. */
  readonly transfers: boolean;
  /**
   * Adds chunks, in order. A worker hasher takes ownership: do not use the chunks afterwards
   * (their memory may be transferred to the worker).
   */
  update(chunks: readonly Uint8Array[]): void;
  /** The digest in lowercase hex. Call once; the hasher is finished afterwards. */
  digest(): Promise<string>;
  /** Frees the hasher (stops a worker). Safe to call more than once. */
  close(): void;
}

/**
 * A hasher on the calling thread (`node:crypto`).
 * @example const h = createInlineSha256(); h.update([bytes]); await h.digest();
 */
export function createInlineSha256(): Sha256Hasher {
  const hash = createHash('sha256');
  return {
    transfers: false,
    update: (chunks) => {
      for (const chunk of chunks) hash.update(chunk);
    },
    digest: async () => hash.digest('hex'),
    close: () => {},
  };
}

// Plain JavaScript, evaluated in the worker: no loader or build step needed to run it.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
parentPort.on('message', (message) => {
  if (message.chunks) for (const chunk of message.chunks) hash.update(chunk);
  else parentPort.postMessage(hash.digest('hex'));
});
`;

/**
 * A hasher on a worker thread. Chunks that own their whole `ArrayBuffer` (as socket reads do) are
 * transferred; any other chunk is copied, so a view into a buffer still in use is never detached.
 * @throws nothing synchronously; `digest()` rejects if the worker fails.
 * @example const h = createWorkerSha256(); h.update(chunks); const hex = await h.digest(); h.close();
 */
export function createWorkerSha256(): Sha256Hasher {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  let failure: Error | undefined;
  worker.on('error', (error) => {
    failure = error;
  });
  return {
    transfers: true,
    update: (chunks) => {
      const owned = chunks.map((c) =>
        c.byteOffset === 0 &&
        c.byteLength === c.buffer.byteLength &&
        c.buffer instanceof ArrayBuffer
          ? c
          : Uint8Array.prototype.slice.call(c),
      );
      worker.postMessage(
        { chunks: owned },
        owned.map((c) => c.buffer as ArrayBuffer),
      );
    },
    digest: () =>
      new Promise<string>((resolve, reject) => {
        if (failure) return reject(failure);
        const onError = (error: Error): void => reject(error);
        const onExit = (): void => reject(new Error('the hashing worker exited before the digest'));
        worker.once('error', onError);
        worker.once('exit', onExit);
        worker.once('message', (hex: string) => {
          worker.off('error', onError);
          worker.off('exit', onExit);
          resolve(hex);
        });
        worker.postMessage({ digest: true });
      }),
    close: () => {
      void worker.terminate();
    },
  };
}
