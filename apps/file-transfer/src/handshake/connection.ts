/**
 * Both ends of the handshake on a socket (see `messages.ts` for the wire). The receiver proves
 * nothing and learns the sender knows the code; nothing is written before that.
 */
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { FtError } from '../errors.ts';
import { checkCodeProof, codeProof } from './code-phrase.ts';
import {
  checkGreeting,
  checkSenderHello,
  checkVerdict,
  decodeHandshake,
  encodeHandshake,
  HANDSHAKE_APP,
  HANDSHAKE_VERSION,
  type SenderHello,
} from './messages.ts';

/**
 * Reads one handshake message, then pauses the socket and puts back whatever came after it, so
 * the next reader sees every byte. Rejects on timeout, close or a bad message.
 */
export function readHandshake(
  socket: net.Socket,
  timeoutMs: number,
  what: string,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (error: Error | undefined, value?: unknown, rest?: Buffer): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (rest && rest.length > 0) socket.unshift(rest);
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      try {
        const decoded = decodeHandshake(buffered);
        if (decoded) finish(undefined, decoded.value, buffered.subarray(decoded.bytesRead));
      } catch (error) {
        finish(error as Error);
      }
    };
    const onClose = (): void =>
      finish(new FtError('FT_ERR_CONNECTION', `the connection closed while waiting for ${what}`));
    const timer = setTimeout(
      () => finish(new FtError('FT_ERR_TIMEOUT', `no ${what} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.resume();
  });
}

/** What the receiver does with a proven sender's hello before it says welcome (make folders). */
export type AdmitSender = (hello: SenderHello) => Promise<void>;

/**
 * The receiver's side: greets, checks the proof in constant time, runs `admit`, says welcome.
 * The socket is left paused with nothing of stage 2's protocol consumed.
 * @throws {FtError} `FT_ERR_WRONG_CODE` (the sender was told), `FT_ERR_HANDSHAKE`,
 *   `FT_ERR_TIMEOUT`, `FT_ERR_CONNECTION`, or what `admit` threw (the sender was told that too).
 */
export async function handshakeAsReceiver(
  socket: net.Socket,
  code: string,
  timeoutMs: number,
  admit: AdmitSender,
): Promise<SenderHello> {
  const nonce = randomBytes(32);
  socket.write(
    encodeHandshake({
      type: 'greeting',
      app: HANDSHAKE_APP,
      version: HANDSHAKE_VERSION,
      nonce: nonce.toString('hex'),
    }),
  );
  const deny = (error: FtError): FtError => {
    socket.end(encodeHandshake({ type: 'denied', code: error.code, message: error.message }));
    return error;
  };
  let hello: SenderHello;
  try {
    hello = checkSenderHello(await readHandshake(socket, timeoutMs, "the sender's hello"));
  } catch (error) {
    if (error instanceof FtError && error.code === 'FT_ERR_HANDSHAKE') throw deny(error);
    throw error;
  }
  if (!checkCodeProof(code, nonce, Buffer.from(hello.proof, 'hex'))) {
    throw deny(
      new FtError('FT_ERR_WRONG_CODE', 'wrong code phrase: check the code the receiver printed'),
    );
  }
  try {
    await admit(hello);
  } catch (error) {
    throw deny(
      error instanceof FtError
        ? error
        : new FtError('FT_ERR_HANDSHAKE', String((error as Error)?.message ?? error)),
    );
  }
  socket.write(encodeHandshake({ type: 'welcome' }));
  return hello;
}

/**
 * The sender's side: reads the greeting, proves the code, announces the folders and totals,
 * and waits for the verdict. The socket is left paused: resume it once stage 2 reads it.
 * @throws {FtError} `FT_ERR_WRONG_CODE` or the receiver's other refusal, `FT_ERR_HANDSHAKE`,
 *   `FT_ERR_TIMEOUT`, `FT_ERR_CONNECTION`.
 */
export async function handshakeAsSender(
  socket: net.Socket,
  code: string,
  timeoutMs: number,
  plan: Omit<SenderHello, 'type' | 'proof'>,
): Promise<void> {
  const greeting = checkGreeting(
    await readHandshake(socket, timeoutMs, "the receiver's greeting").catch((error: unknown) => {
      if (error instanceof FtError && error.code !== 'FT_ERR_HANDSHAKE') {
        error.message +=
          ' (is it a socketlab-ft receiver, and does it use --tls when you do not, or the reverse?)';
      }
      throw error;
    }),
  );
  const proof = codeProof(code, Buffer.from(greeting.nonce, 'hex')).toString('hex');
  socket.write(encodeHandshake({ type: 'hello', proof, ...plan }));
  const verdict = checkVerdict(await readHandshake(socket, timeoutMs, "the receiver's verdict"));
  if (verdict.type === 'denied') {
    throw new FtError(verdict.code, `the receiver refused: ${verdict.message}`);
  }
}
