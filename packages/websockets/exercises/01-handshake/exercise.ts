// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** What startHandshakeServer resolves with: the port it listens on, and a way to stop it. */
export interface RunningHandshakeServer {
  /** The port the server listens on (the kernel's choice when you asked for port 0). */
  port: number;
  /** Stops accepting, closes every open connection, and resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Computes `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`:
 * base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), the key used as sent (never decoded).
 * @example acceptKey('dGhlIHNhbXBsZSBub25jZQ=='); // 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
 */
export function acceptKey(key: string): string {
  // TODO: node:crypto's createHash('sha1'): update with the key and the GUID, digest as base64.
  throw new Error('not implemented yet: read exercises/01-handshake/README.md');
}

/**
 * Starts the handshake server on `host:port` (exercises/01-handshake/README.md): it reads each
 * connection's request head (up to the empty line), then answers `101 Switching Protocols` with
 * the right `Sec-WebSocket-Accept` and keeps the connection open; or refuses with 400 (426 with
 * `Sec-WebSocket-Version: 13` for a wrong version), `Connection: close`, and closes.
 * @example const { port } = await startHandshakeServer(0); // then: curl -i --http1.1 … (see README)
 */
export async function startHandshakeServer(
  port = 0,
  host = '127.0.0.1',
): Promise<RunningHandshakeServer> {
  // TODO: net.createServer: for each connection, keep ITS OWN pending bytes until "\r\n\r\n".
  // TODO: parse only the head: the request line, then `Name: value` lines (names in any case,
  // values trimmed). The bytes after the empty line are not yours to parse (frames, later).
  // TODO: check Upgrade, Connection, Sec-WebSocket-Key (base64 of 16 bytes), Sec-WebSocket-Version.
  // TODO: answer 101 (Upgrade, Connection, Sec-WebSocket-Accept) and keep the socket open; or
  // answer the error with `Connection: close` and end the socket. Give every socket an 'error' listener.
  // TODO: listen(port, host) and resolve with the real port and a close().
  throw new Error('not implemented yet: read exercises/01-handshake/README.md');
}
