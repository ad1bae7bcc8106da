/**
 * The event map is the contract between a Socket.IO server and its clients: one TypeScript
 * interface per direction, shared by both sides, so an event's name, its arguments and its
 * acknowledgement are checked at compile time on both ends (socket.io's
 * `Server<ClientToServer, ServerToClient, InterServer, SocketData>`).
 * @see https://socket.io/docs/v4/typescript/
 */
import type { RealtimeErrorCode } from '../errors.ts';

/**
 * What a receiver acknowledges with when it refuses an event: the error's stable code and a
 * reason the sender may show. {@link emitWithAckTimeout} turns it into a `RealtimeError`.
 */
export interface AckRefusal {
  readonly error: { readonly code: RealtimeErrorCode; readonly reason: string };
}

/** A chat message as the server relays it: the example contract below. */
export interface ExampleMessage {
  readonly room: string;
  readonly from: string;
  readonly text: string;
  /** Milliseconds since the epoch, set by the server (never trusted from a client). */
  readonly at: number;
}

/**
 * Example contract, client → server: what a chat client may emit. An event whose last
 * parameter is a callback takes an acknowledgement; the callback's argument is the reply.
 * @example
 * const io = createRealtimeServer<ExampleClientToServerEvents, ExampleServerToClientEvents, ExampleSocketData>();
 */
export interface ExampleClientToServerEvents {
  /** Join a room; the ack says how many members it has now, or why not. */
  'room:join': (room: string, ack: (reply: { members: number } | AckRefusal) => void) => void;
  /** Leave a room (no ack: fire and forget). */
  'room:leave': (room: string) => void;
  /** Say something in a room; the server relays it as `chat:message`. */
  'chat:send': (message: { room: string; text: string }) => void;
  /** The same, acknowledged once the server has relayed it. */
  'chat:post': (
    message: { room: string; text: string },
    ack: (reply: { at: number } | AckRefusal) => void,
  ) => void;
  /** A small file, sent as a binary attachment. */
  'file:upload': (file: { name: string; bytes: Uint8Array }) => void;
}

/** Example contract, server → client. */
export interface ExampleServerToClientEvents {
  'chat:message': (message: ExampleMessage) => void;
  /** A frequent update nobody must queue (sent volatile: dropped rather than buffered). */
  'cursor:moved': (position: { x: number; y: number }) => void;
  /** The server asks the client something and waits for its ack. */
  'server:ask': (question: string, ack: (answer: string) => void) => void;
}

/** Example contract: what the server keeps on `socket.data` for each connection. */
export interface ExampleSocketData {
  name: string;
}

/**
 * Any event map: event names to listener signatures (socket.io's own `EventsMap`, which its
 * entry does not export).
 */
// biome-ignore lint/suspicious/noExplicitAny: socket.io's own definition; listeners take any arguments
export type RealtimeEventsMap = { [event: string]: any };
