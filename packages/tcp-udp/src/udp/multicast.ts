/**
 * UDP broadcast and multicast helpers over `node:dgram`, with explicit interfaces, TTL and loop
 * options, and probes that tell whether this machine delivers them at all (many do not: a cloud
 * VPC drops both, a container may have only `lo`). Lesson: `lessons/broadcast-multicast.md`.
 * @see RFC 1112 (IP multicast, IGMP v1), RFC 2365 (administratively scoped 239.0.0.0/8),
 *   RFC 919 / RFC 922 (broadcast), RFC 4291 §2.7 (IPv6 multicast scopes)
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { checkInteger } from '@socketlab/internal';
import { ConnectionError } from '../errors.ts';

/** Where a received datagram came from. */
export interface UdpDatagramSource {
  readonly address: string;
  readonly port: number;
}

/** A socket that receives: its port, and `close()`. */
export interface UdpListening {
  /** The bound port (the kernel's choice when 0 was asked). */
  readonly port: number;
  /** Leaves the group (if any) and closes the socket. */
  close(): Promise<void>;
}

/** A socket that sends to a group or a broadcast address. */
export interface UdpGroupSender {
  /** Sends one datagram to `address:port`; rejects with `TCPUDP_ERR_CONNECTION` if the kernel refuses. */
  send(payload: Uint8Array, address: string, port: number): Promise<void>;
  close(): Promise<void>;
}

/** True for an IPv4 multicast address (224.0.0.0/4) or an IPv6 one (ff00::/8). */
export function isMulticastAddress(address: string): boolean {
  if (net.isIPv4(address)) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return net.isIPv6(address) && /^ff[0-9a-f]{2}:/i.test(address);
}

/** Options of {@link joinUdpMulticastGroup}. */
export interface UdpMulticastReceiverOptions {
  /** The group to join, e.g. `239.255.42.99` (RFC 2365 organisation-local scope). */
  readonly group: string;
  /** The local interface (by its address) to join on: the membership goes out there as IGMP. @default '127.0.0.1' */
  readonly interfaceAddress?: string;
  /** Port to receive on; 0 lets the kernel choose. @default 0 */
  readonly port?: number;
  /**
   * Address to bind. On Linux and macOS binding the group itself receives only that group's
   * datagrams; binding a unicast address such as 127.0.0.1 receives none of them. Windows
   * cannot bind a group: use `0.0.0.0` there. @default the group (`0.0.0.0` on Windows)
   */
  readonly bindAddress?: string;
  /** Called for every datagram received. */
  readonly onMessage: (payload: Buffer, from: UdpDatagramSource) => void;
}

/**
 * Binds a socket and joins a multicast group on one interface (`IP_ADD_MEMBERSHIP`).
 * @throws {TypeError} when `group` is not a multicast address.
 * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` (rejected) when binding or joining fails.
 * @example
 * const rx = await joinUdpMulticastGroup({ group: '239.255.42.99', onMessage: (m) => console.log(`${m}`) });
 */
export async function joinUdpMulticastGroup(
  options: UdpMulticastReceiverOptions,
): Promise<UdpListening> {
  const { group, interfaceAddress = '127.0.0.1', port = 0, onMessage } = options;
  if (!isMulticastAddress(group))
    throw new TypeError(`${JSON.stringify(group)} is not a multicast address`);
  const v6 = net.isIPv6(group);
  const wildcard = v6 ? '::' : '0.0.0.0';
  const bindAddress = options.bindAddress ?? (process.platform === 'win32' ? wildcard : group);
  const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true });
  socket.on('message', (payload, rinfo) =>
    onMessage(payload, { address: rinfo.address, port: rinfo.port }),
  );
  await bindSocket(socket, port, bindAddress);
  try {
    socket.addMembership(group, interfaceAddress);
  } catch (err) {
    socket.close();
    throw new ConnectionError(
      'TCPUDP_ERR_CONNECTION',
      `cannot join ${group} on interface ${interfaceAddress}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return listening(socket);
}

/** Options of {@link openUdpMulticastSender}. */
export interface UdpMulticastSenderOptions {
  /** The interface (by its address) multicast leaves from (`IP_MULTICAST_IF`). @default '127.0.0.1' */
  readonly interfaceAddress?: string;
  /**
   * Hops a datagram may cross (`IP_MULTICAST_TTL`): 0 stays on this host, 1 on the local link
   * (routers never forward it). @default 1
   */
  readonly ttl?: number;
  /** Deliver our own datagrams to our own host's members too (`IP_MULTICAST_LOOP`). @default true */
  readonly loopback?: boolean;
  /** Address to bind the sending socket to. @default the interfaceAddress */
  readonly bindAddress?: string;
}

/**
 * A socket that sends to multicast groups through one interface, with a TTL and a loop option.
 * @throws {RangeError} for a TTL outside 0..255; {TypeError} for one that is not an integer.
 * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` (rejected) when the socket cannot be set up.
 * @example
 * const tx = await openUdpMulticastSender({ ttl: 0 });
 * await tx.send(Buffer.from('hello group'), '239.255.42.99', port);
 */
export async function openUdpMulticastSender(
  options: UdpMulticastSenderOptions = {},
): Promise<UdpGroupSender> {
  const { interfaceAddress = '127.0.0.1', ttl = 1, loopback = true } = options;
  checkInteger('ttl', ttl, 0, 255);
  const v6 = net.isIPv6(interfaceAddress.split('%')[0] ?? '') || interfaceAddress.startsWith('::');
  const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4' });
  await bindSocket(socket, 0, options.bindAddress ?? interfaceAddress);
  try {
    socket.setMulticastInterface(interfaceAddress);
    socket.setMulticastTTL(ttl);
    socket.setMulticastLoopback(loopback);
  } catch (err) {
    socket.close();
    throw new ConnectionError(
      'TCPUDP_ERR_CONNECTION',
      `cannot set multicast options: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return sender(socket);
}

/** Options of {@link openUdpBroadcaster}. */
export interface UdpBroadcasterOptions {
  /** Address to bind; broadcasts leave through its interface. @default '127.0.0.1' */
  readonly bindAddress?: string;
}

/**
 * A socket allowed to send to broadcast addresses (`SO_BROADCAST`; without it the kernel answers
 * `EACCES`). IPv4 only: IPv6 has no broadcast, only multicast (RFC 4291 §2).
 * @throws {TypeError} for an IPv6 bind address.
 * @example
 * const tx = await openUdpBroadcaster();
 * await tx.send(Buffer.from('anyone?'), '127.255.255.255', port);
 */
export async function openUdpBroadcaster(
  options: UdpBroadcasterOptions = {},
): Promise<UdpGroupSender> {
  const { bindAddress = '127.0.0.1' } = options;
  if (!net.isIPv4(bindAddress))
    throw new TypeError(`broadcast is IPv4 only: bindAddress ${JSON.stringify(bindAddress)}`);
  const socket = dgram.createSocket({ type: 'udp4' });
  await bindSocket(socket, 0, bindAddress);
  socket.setBroadcast(true);
  return sender(socket);
}

/**
 * Binds a socket to receive broadcasts sent to `address` (a broadcast address such as
 * `127.255.255.255`, or `0.0.0.0` for any).
 * @example const rx = await listenUdpBroadcast({ address: '127.255.255.255', onMessage });
 */
export async function listenUdpBroadcast(options: {
  readonly address?: string;
  readonly port?: number;
  readonly onMessage: (payload: Buffer, from: UdpDatagramSource) => void;
}): Promise<UdpListening> {
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (payload, rinfo) =>
    options.onMessage(payload, { address: rinfo.address, port: rinfo.port }),
  );
  await bindSocket(socket, options.port ?? 0, options.address ?? '127.255.255.255');
  return listening(socket);
}

/** What a probe found. */
export interface UdpDeliveryProbe {
  /** True when a datagram sent this way came back within the wait. */
  readonly supported: boolean;
  /** What was tried and what happened, for a test's output or a lesson. */
  readonly detail: string;
}

/**
 * Tells whether multicast to `group` through `interfaceAddress` reaches a member on this host:
 * joins, sends one datagram with TTL 0, waits at most `timeoutMs`. Never throws.
 * @example const { supported, detail } = await probeUdpMulticast();
 */
export async function probeUdpMulticast(
  options: { group?: string; interfaceAddress?: string; timeoutMs?: number } = {},
): Promise<UdpDeliveryProbe> {
  const { group = '239.255.0.42', interfaceAddress = '127.0.0.1', timeoutMs = 500 } = options;
  const what = `multicast to ${group} through ${interfaceAddress}`;
  return probe(what, timeoutMs, async (onMessage) => {
    const rx = await joinUdpMulticastGroup({ group, interfaceAddress, onMessage });
    const tx = await openUdpMulticastSender({ interfaceAddress, ttl: 0 });
    return {
      send: () => tx.send(Buffer.from('probe'), group, rx.port),
      close: () => Promise.all([rx.close(), tx.close()]),
    };
  });
}

/**
 * Tells whether a broadcast to `address` reaches a listener on this host: binds it, sends one
 * datagram with `SO_BROADCAST` from `bindAddress`, waits at most `timeoutMs`. Never throws.
 * @example const { supported } = await probeUdpBroadcast({ address: '127.255.255.255' });
 */
export async function probeUdpBroadcast(
  options: { address?: string; bindAddress?: string; timeoutMs?: number } = {},
): Promise<UdpDeliveryProbe> {
  const { address = '127.255.255.255', bindAddress = '127.0.0.1', timeoutMs = 500 } = options;
  const what = `broadcast to ${address} from ${bindAddress}`;
  return probe(what, timeoutMs, async (onMessage) => {
    const rx = await listenUdpBroadcast({ address, onMessage });
    const tx = await openUdpBroadcaster({ bindAddress });
    return {
      send: () => tx.send(Buffer.from('probe'), address, rx.port),
      close: () => Promise.all([rx.close(), tx.close()]),
    };
  });
}

async function probe(
  what: string,
  timeoutMs: number,
  setup: (onMessage: () => void) => Promise<{ send(): Promise<void>; close(): Promise<unknown> }>,
): Promise<UdpDeliveryProbe> {
  let arrived: () => void = () => {};
  const got = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  let pair: { send(): Promise<void>; close(): Promise<unknown> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    pair = await setup(() => arrived());
    await pair.send();
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([got, timedOut]);
    return outcome === 'timeout'
      ? { supported: false, detail: `${what}: sent, but nothing arrived within ${timeoutMs} ms` }
      : { supported: true, detail: `${what}: delivered` };
  } catch (err) {
    return { supported: false, detail: `${what}: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
    await pair?.close();
  }
}

function bindSocket(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(
        new ConnectionError(
          'TCPUDP_ERR_CONNECTION',
          `cannot bind ${address}:${port}: ${err.message}`,
          { cause: err },
        ),
      );
    };
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      socket.on('error', () => {}); // later errors belong to single sends, reported there
      resolve();
    });
  });
}

function listening(socket: dgram.Socket): UdpListening {
  return {
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function sender(socket: dgram.Socket): UdpGroupSender {
  return {
    send: (payload, address, port) =>
      new Promise((resolve, reject) => {
        socket.send(payload, port, address, (err) => {
          if (err) {
            reject(
              new ConnectionError(
                'TCPUDP_ERR_CONNECTION',
                `cannot send to ${address}:${port}: ${err.message}`,
                { cause: err },
              ),
            );
          } else resolve();
        });
      }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
