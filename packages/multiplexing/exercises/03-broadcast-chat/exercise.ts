// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** What startBroadcastChat resolves with: the port it listens on, and a way to stop it. */
export interface RunningBroadcastChat {
  /** The port the server listens on (the kernel's choice when you asked for port 0). */
  port: number;
  /** Stops accepting, closes every open connection, and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts a chat server with rooms on `host:port`. The protocol (exercises/03-broadcast-chat/README.md):
 * a client is welcomed as `guestN` into `#lobby`; its lines go to the others in its room as
 * `<nick> text`; `/me`, `/join ROOM` and `/leave`; joins and leaves are announced to the room.
 * @example const { port } = await startBroadcastChat(0); // then, in two terminals: nc 127.0.0.1 <port>
 */
export async function startBroadcastChat(
  port: number,
  host = '127.0.0.1',
): Promise<RunningBroadcastChat> {
  // TODO: the state shared by all connections: the members (nick, room, socket) and the rooms
  // (room name → its members, in the order they came in). Name each newcomer guest1, guest2, ….
  // TODO: on connect: put it in #lobby, tell the others there `* NICK joined #lobby`, then send
  // it the welcome line (with how many are in #lobby, itself included).
  // TODO: per connection, cut lines (as in 01-many-clients); for each line: a message goes to
  // the OTHERS in the room as `<NICK> TEXT`; `/me TEXT` to everyone in the room as
  // `* NICK TEXT`; `/join ROOM` and `/leave` move it, with the notices the README lists;
  // a mistake gets `! …` back, to the sender only.
  // TODO: on 'close' (FIN or reset): take it out of its room and tell the room `* NICK left #ROOM`.
  // TODO: handle 'error' on every socket; listen(port, host) and resolve with { port, close }.
  throw new Error('not implemented yet: read exercises/03-broadcast-chat/README.md');
}
