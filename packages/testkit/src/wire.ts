import net from 'node:net';
import { printable } from './bytes.ts';
import { DEFAULT_WAIT_MS, WaitTimeoutError, withTimeout } from './wait.ts';

type Entry = { dir: 'sent' | 'received' | 'closed' | 'error'; data: string };

/** A grader's failure: what it was doing, and the whole conversation so far. */
export class WireError extends Error {
  override readonly name = 'WireError';
  readonly code = 'TESTKIT_ERR_WIRE';
}

/**
 * A test client that records every byte it sends and receives, so that a failing grader can
 * show the whole exchange. Reads are bounded: each waits at most `timeoutMs`.
 */
export class WireClient {
  readonly #socket: net.Socket;
  readonly #log: Entry[] = [];
  #buffer = Buffer.alloc(0);
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  private constructor(
    socket: net.Socket,
    readonly label: string,
  ) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#log.push({ dir: 'received', data: printable(chunk) });
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#log.push({ dir: 'closed', data: 'peer ended the connection' });
      this.#wake?.();
    });
    socket.on('error', (err) => {
      this.#error = err;
      this.#log.push({ dir: 'error', data: err.message });
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  /** Opens a connection to `host:port`; rejects with a readable message if nobody answers. */
  static async connect(
    host: string,
    port: number,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<WireClient> {
    const socket = net.connect({ host, port });
    const client = new WireClient(socket, `${host.includes(':') ? `[${host}]` : host}:${port}`);
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('error', reject);
        }),
        `a connection to ${client.label}`,
        timeoutMs,
      );
    } catch (err) {
      socket.destroy();
      throw new WireError(`could not connect to ${client.label}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return client;
  }

  /** The underlying socket, for tests that need its address or options. */
  get socket(): net.Socket {
    return this.#socket;
  }

  /** Writes `data` and resolves once it has been handed to the kernel. */
  async send(data: string | Uint8Array): Promise<void> {
    this.#log.push({ dir: 'sent', data: printable(data) });
    await new Promise<void>((resolve, reject) =>
      this.#socket.write(data, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** Reads up to and including the next `\n`, returning the line without its terminator. */
  async readLine(timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const line = await this.readLineBytes(timeoutMs);
    return line.toString('utf8').replace(/\r?\n$/, '');
  }

  /**
   * Reads up to and including the next `\n` and returns those bytes as they came, `\r` and all:
   * for a grader that must tell `"two\n"` from `"two\r\n"`.
   */
  readLineBytes(timeoutMs = DEFAULT_WAIT_MS): Promise<Buffer> {
    return this.#take(
      () => {
        const at = this.#buffer.indexOf(0x0a);
        return at < 0 ? undefined : at + 1;
      },
      'a line ending in \\n',
      timeoutMs,
    );
  }

  /** Reads exactly `count` bytes. */
  readBytes(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<Buffer> {
    return this.#take(
      () => (this.#buffer.length >= count ? count : undefined),
      `${count} bytes`,
      timeoutMs,
    );
  }

  /** Waits for the peer to end the connection and returns whatever arrived before it did. */
  async readToEnd(timeoutMs = DEFAULT_WAIT_MS): Promise<Buffer> {
    await this.#until(() => this.#ended, 'the peer to close the connection', timeoutMs);
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return rest;
  }

  /** Half-closes: tells the peer we will send nothing more, keeps reading. */
  end(): void {
    this.#log.push({ dir: 'sent', data: '(FIN: end of our data)' });
    this.#socket.end();
  }

  /** Destroys the connection at once. Safe to call more than once. */
  close(): void {
    this.#socket.destroy();
  }

  /** The conversation so far, one line per event, for failure messages. */
  transcript(): string {
    if (this.#log.length === 0) return '  (nothing was sent or received)';
    return this.#log.map((e) => `  ${e.dir.padEnd(8)} ${e.data}`).join('\n');
  }

  /** Builds an error that tells what went wrong and shows the conversation. */
  fail(message: string): WireError {
    return new WireError(`${message}\nconversation with ${this.label}:\n${this.transcript()}`);
  }

  async #take(ready: () => number | undefined, what: string, timeoutMs: number): Promise<Buffer> {
    const count = await this.#until(ready, what, timeoutMs);
    const out = this.#buffer.subarray(0, count);
    this.#buffer = this.#buffer.subarray(count);
    return out;
  }

  async #until<T>(ready: () => T | undefined | false, what: string, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = ready();
      if (value !== undefined && value !== false) return value;
      if (this.#error)
        throw this.fail(`connection error while waiting for ${what}: ${this.#error.message}`);
      if (this.#ended) {
        throw this.fail(`the peer closed the connection while we waited for ${what}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw this.fail(new WaitTimeoutError(what, timeoutMs).message);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}
