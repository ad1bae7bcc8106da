/**
 * Grading over Socket.IO: the helpers the Socket.IO exercise specs share. A subpath of its own
 * (`@socketlab/testkit/socket-io`), so a stage without Socket.IO never loads socket.io-client.
 * Every wait is bounded, and every failure says what was sent and what was awaited.
 */
import {
  io as connect,
  type ManagerOptions,
  type Socket,
  type SocketOptions,
} from 'socket.io-client';
import { expect, onTestFinished } from 'vitest';
import { DEFAULT_WAIT_MS, withTimeout } from './wait.ts';

/** An acknowledgement as the Socket.IO exercises answer: `{ ok: true, … }` or `{ ok: false, error }`. */
export type AckAnswer = { ok: boolean; error?: string; [key: string]: unknown };

/** A value as a failure message shows it: JSON (a function as `[ack]`), cut at 200 characters. */
export function showValue(value: unknown): string {
  const text = JSON.stringify(value, (_, v) => (typeof v === 'function' ? '[ack]' : v));
  return text === undefined ? String(value) : text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * A socket.io-client connected to `url` (WebSocket only, a new manager, no reconnection),
 * disconnected when the test ends; a refused or silent connection fails with `what`.
 */
export async function connectSocketIo(
  url: string,
  what: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): Promise<Socket> {
  const socket = connect(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...options,
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    }),
    what,
  );
  return socket;
}

/** How {@link socketIoGrader} explains a failure. */
export interface SocketIoGraderOptions {
  /** Ends the message of a missing acknowledgement (what the learner should check). */
  noAnswer: string;
  /** Ends the message of an answer that is not `{ ok: true }`. */
  notOk: string;
  /** Ends the message of an awaited event that never came. */
  noEvent: string;
  /** @default 5000 */
  timeoutMs?: number;
}

/** What {@link socketIoGrader} returns. */
export interface SocketIoGrader {
  /** Emits with an acknowledgement and waits for it, bounded. */
  ask(socket: Socket, event: string, ...args: unknown[]): Promise<AckAnswer>;
  /** {@link SocketIoGrader.ask}, and expects `{ ok: true, … }`. */
  ok(socket: Socket, event: string, ...args: unknown[]): Promise<AckAnswer>;
  /** The first argument of every `event` `socket` receives from now on. */
  inbox(socket: Socket, event: string): unknown[];
  /** The next `event` on `socket`, bounded; `what` names what was awaited. */
  next(socket: Socket, event: string, what: string): Promise<unknown>;
}

/**
 * The `ask`/`ok`/`inbox`/`next` helpers of a Socket.IO spec, with the spec's own explanations.
 * @example
 * const grade = socketIoGrader({ noAnswer: lesson.see('The contract'), notOk: …, noEvent: … });
 * const answer = await grade.ok(socket, 'join', 'lobby');
 */
export function socketIoGrader(options: SocketIoGraderOptions): SocketIoGrader {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const list = (args: unknown[]) => args.map(showValue).join(', ');
  const grader: SocketIoGrader = {
    async ask(socket, event, ...args) {
      try {
        return (await socket.timeout(timeoutMs).emitWithAck(event, ...args)) as AckAnswer;
      } catch {
        throw new Error(
          `no acknowledgement within ${timeoutMs / 1000} s for ${event} ${list(args)}: ${options.noAnswer}`,
        );
      }
    },
    async ok(socket, event, ...args) {
      const answer = await grader.ask(socket, event, ...args);
      expect(
        answer?.ok,
        `${event} ${list(args)} was answered ${showValue(answer)}, expected { ok: true, … }. ${options.notOk}`,
      ).toBe(true);
      return answer;
    },
    inbox(socket, event) {
      const got: unknown[] = [];
      socket.on(event, (first: unknown) => got.push(first));
      return got;
    },
    next(socket, event, what) {
      let listener: (value: unknown) => void = () => {};
      return withTimeout(
        new Promise<unknown>((resolve) => {
          listener = resolve;
          socket.once(event, listener);
        }),
        `${what}. ${options.noEvent}`,
        timeoutMs,
      ).finally(() => socket.off(event, listener));
    },
  };
  return grader;
}
