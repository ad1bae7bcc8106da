/**
 * The chat's `nc` side: a TCP listener whose every connection is a person typing stage 3's room
 * chat protocol (`/nick`, `/join`, `/leave`, `/who`, `/me`, `/quit`, lines of text), held by stage
 * 3's connection manager (limits on connections, per address, slow readers, graceful shutdown), and
 * each speaking to the chat server as its own Socket.IO client. One contract, whichever transport a
 * person uses: rooms, presence, history, resume and scaling are the server's.
 */
import type net from 'node:net';
import {
  createConnectionManager,
  listenManagedTcp,
  type ManagedConnection,
  roomChatLines,
} from '@socketlab/multiplexing';
import { LOBBY } from '../contract.ts';
import { resolveGatewayLimits, type TcpGatewayLimits } from './options.ts';
import { type GatewayMember, GatewaySession } from './session.ts';

/** Options of {@link startTcpGateway}. */
export interface TcpGatewayOptions {
  /** Address to listen on, e.g. `'127.0.0.1'`. */
  readonly host: string;
  /** Port to listen on; 0 lets the kernel choose. */
  readonly port: number;
  /** The chat server's URL (`http://host:port/`), which each `nc` user's Socket.IO client joins. */
  readonly serverUrl: string;
  /** A token for `nick` (the app's guest login); rejecting refuses the user with its message. */
  readonly issueToken: (nick: string) => Promise<string>;
  /** Limits; see {@link TCP_GATEWAY_LIMITS} for the defaults. */
  readonly limits?: Partial<TcpGatewayLimits>;
  /**
   * Every connection starts with a PROXY protocol v1 header (behind nginx's stream
   * `proxy_protocol on;`), which names the user's address for the per-address limits (stage 3's
   * `listenManagedTcp({ proxyProtocol })`). @default false
   */
  readonly proxyProtocol?: boolean;
}

/** A running gateway, as {@link startTcpGateway} returns it. */
export interface TcpGateway {
  /** Where it listens. */
  readonly address: net.AddressInfo;
  /** `nc` users connected now. */
  readonly size: number;
  /**
   * Stops accepting, tells every `nc` user the server is shutting down (stage 3's line), closes
   * their Socket.IO clients, and resolves once all are closed (cut after `closeTimeoutMs`).
   */
  close(): Promise<void>;
}

/**
 * Starts the `nc` gateway and resolves once it listens. People join with `nc HOST PORT`.
 * @throws {TypeError}/{RangeError} (synchronously) for a bad option or limit.
 * @throws {ConnectionError} (rejection) `TCPUDP_ERR_CONNECTION` when it cannot listen.
 * @example
 * ```ts
 * const app = await startChatApp({ port: 3000 });
 * const gateway = await startTcpGateway({
 *   host: '127.0.0.1',
 *   port: 4000,
 *   serverUrl: app.url,
 *   issueToken: async (nick) => (await app.issueGuestToken(nick)).token,
 * });
 * console.log(`nc 127.0.0.1 ${gateway.address.port}`);
 * ```
 */
export function startTcpGateway(options: TcpGatewayOptions): Promise<TcpGateway> {
  const { host, port, serverUrl, issueToken } = options;
  if (typeof serverUrl !== 'string' || !/^https?:\/\//.test(serverUrl)) {
    throw new TypeError(`serverUrl must be an http(s) URL, got ${String(serverUrl)}`);
  }
  if (typeof issueToken !== 'function') throw new TypeError('issueToken must be a function');
  const limits = resolveGatewayLimits(options.limits);
  const manager = createConnectionManager<GatewayMember>({
    maxConnections: limits.maxConnections,
    maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
    idleTimeoutMs: limits.idleTimeoutMs,
    closeTimeoutMs: limits.closeTimeoutMs,
    maxBufferedBytes: limits.maxBufferedBytes,
    slowConsumerPolicy: limits.slowConsumerPolicy,
    heartbeatIntervalMs: 0, // a raw line stream has no ping frame (as stage 3's room chat)
    createMetadata: () => ({ nick: '', room: LOBBY }),
  });
  const sessions = new Map<ManagedConnection<GatewayMember>, GatewaySession>();
  let guests = 0;
  const nickTaken = (nick: string): boolean => {
    const wanted = nick.toLowerCase();
    for (const member of sessions.keys()) {
      if (member.metadata.nick.toLowerCase() === wanted) return true;
    }
    return false;
  };
  const uniqueGuestNick = (): string => {
    // Bounded: each taken guestN is held by one of the sessions, so at most that many are skipped.
    for (;;) {
      guests++;
      if (!nickTaken(`guest${guests}`)) return `guest${guests}`;
    }
  };
  const context = {
    serverUrl,
    issueToken,
    limits,
    otherNicks: (self: ManagedConnection<GatewayMember>): string[] =>
      [...sessions.keys()].filter((m) => m !== self).map((m) => m.metadata.nick),
  };

  manager.on('connection', (member) => {
    member.metadata.nick = uniqueGuestNick();
    const session = new GatewaySession(member, context);
    sessions.set(member, session);
    member.once('close', () => {
      sessions.delete(member);
    });
    session.start();
  });

  const proxyProtocol = options.proxyProtocol ?? false;
  return listenManagedTcp({ manager, host, port, proxyProtocol }).then(({ address }) => {
    let closing: Promise<void> | undefined;
    return {
      address,
      get size() {
        return manager.size;
      },
      close() {
        closing ??= (async () => {
          const all = [...sessions.values()];
          for (const session of all) session.stop();
          await manager.shutdown({ notice: roomChatLines.shutdown().trimEnd() });
          await Promise.all(all.map((session) => session.stopped));
        })();
        return closing;
      },
    };
  });
}
