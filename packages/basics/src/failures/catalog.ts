/**
 * What each common socket failure means, in words a person can act on: the data behind
 * `explainSocketError`. Pure and static; `failures/explain.ts` fills in the address and port.
 */

/** Which end to look at first: `client` (this program, its config or its machine), `server` (the peer that should be listening), or `either`. */
export type FailureSide = 'client' | 'server' | 'either';

/** One entry of the catalogue. `at` is where it happened (`127.0.0.1:5000`), or a fallback. */
export interface FailureEntry {
  readonly title: string;
  readonly side: FailureSide;
  /** True when trying again later, unchanged, can succeed (with backoff). */
  readonly retryable: boolean;
  readonly what: (at: string) => string;
  readonly likelyCauses: readonly string[];
  readonly nextSteps: readonly string[];
}

const CLOSE_EVERY_PATH =
  'Handle "error" on every socket, so one failed connection never crashes the process';

/** Operating-system and resolver codes (`err.code` on Node's errors). */
export const SYSTEM_FAILURES = {
  ECONNREFUSED: {
    title: 'connection refused',
    side: 'server',
    retryable: true,
    what: (at) =>
      `The machine at ${at} answered, but nothing listens on that port: its kernel answered the connection request (SYN) with a reset (RST).`,
    likelyCauses: [
      'The server is not running, or crashed',
      'The server listens on another port, or only on another address (127.0.0.1 vs ::1 vs 0.0.0.0)',
      'The client uses the wrong host or port (a typo, a stale config, localhost resolving to ::1 first)',
      'A firewall rejects the connection (rather than dropping it)',
    ],
    nextSteps: [
      'Check that something listens there: `ss -ltnp | grep :PORT` or `lsof -iTCP:PORT -sTCP:LISTEN`',
      'Start the server, or fix the host and port the client uses',
      'If the server is still starting, retry with backoff instead of giving up at once',
    ],
  },
  ETIMEDOUT: {
    title: 'timed out',
    side: 'either',
    retryable: true,
    what: (at) =>
      `Nothing came back from ${at}: the kernel sent the connection request or the data, got no reply at all, and gave up after its retries.`,
    likelyCauses: [
      'A firewall silently drops the packets (no RST comes back, so the sender waits)',
      'The host is down, or the address is wrong and nobody answers',
      'The server is overloaded: its accept queue (backlog) is full, so new SYNs are dropped',
      'A network path problem: routing, NAT, VPN',
    ],
    nextSteps: [
      'Check reachability: `nc -vz HOST PORT` (and `ping HOST`, though ICMP may be blocked too)',
      'Check the firewalls and security groups on both ends',
      'Set your own, shorter timeout so the program fails fast and says what it waited for',
      'Retry with backoff; if it always times out, it is the network, not bad luck',
    ],
  },
  ECONNRESET: {
    title: 'connection reset by peer',
    side: 'either',
    retryable: true,
    what: (at) =>
      `The other end (${at}) aborted the connection with a reset (RST) instead of closing it; data in flight is lost.`,
    likelyCauses: [
      'The peer crashed or was killed, or destroyed its socket with unread data in its buffer',
      'The peer closed an idle connection (its keep-alive timeout) and this side used it afterwards',
      'A proxy, load balancer, NAT or firewall forgot the connection',
      'The peer rejected what was sent (a protocol error) and reset',
    ],
    nextSteps: [
      "Read the peer's logs at that moment",
      'Retry idempotent requests on a new connection; never blindly retry the others',
      "Keep the client's idle timeout shorter than the server's",
      CLOSE_EVERY_PATH,
    ],
  },
  EPIPE: {
    title: 'broken pipe',
    side: 'either',
    retryable: true,
    what: (at) =>
      `This side wrote to a connection that the other end (${at}) had already closed, so the kernel refused the write.`,
    likelyCauses: [
      'The peer closed or reset while this side was still sending',
      'The two sides disagree about who closes first (writing after the peer said it was done)',
      'The peer crashed',
    ],
    nextSteps: [
      'Stop writing once the socket emits "end" or "close"; check socket.writable before writing',
      'Treat it like ECONNRESET: the connection is gone; reconnect if the work can be repeated',
      CLOSE_EVERY_PATH,
    ],
  },
  EADDRINUSE: {
    title: 'address already in use',
    side: 'server',
    retryable: false,
    what: (at) =>
      `Cannot listen on ${at}: another socket already listens on that address and port.`,
    likelyCauses: [
      'Another copy of this program, or another program, is running on that port',
      'The previous run has not exited yet',
      'Two servers in one process were given the same port',
      'A server on 0.0.0.0 (or ::) overlaps one on a specific address',
    ],
    nextSteps: [
      'Find the owner: `ss -ltnp | grep :PORT` or `lsof -iTCP:PORT -sTCP:LISTEN`',
      'Stop it, or use another port (port 0 lets the kernel pick a free one)',
      'Make sure shutdown calls server.close()',
    ],
  },
  EACCES: {
    title: 'permission denied',
    side: 'server',
    retryable: false,
    what: (at) =>
      `Not allowed to bind ${at}: on Linux and most Unix systems, ports below 1024 are privileged.`,
    likelyCauses: [
      'Binding a port below 1024 (80, 443, …) as a user without CAP_NET_BIND_SERVICE',
      'A security module (SELinux, AppArmor) or a sandbox forbids it',
      'A Unix socket path in a directory this user may not write',
    ],
    nextSteps: [
      'Use a port of 1024 or more (such as 8080) with a reverse proxy or port forward in front',
      'Or grant the capability: `sudo setcap cap_net_bind_service=+ep "$(command -v node)"`',
      'Or lower /proc/sys/net/ipv4/ip_unprivileged_port_start (affects the whole machine)',
    ],
  },
  EHOSTUNREACH: {
    title: 'host unreachable',
    side: 'client',
    retryable: true,
    what: (at) =>
      `No way to reach ${at}: this machine or a router reported that the host cannot be reached.`,
    likelyCauses: [
      'The host is down or not on that network (no ARP answer on the local network)',
      'A router or firewall answers "host unreachable"',
      'A wrong address (a typo, a stale DNS answer)',
    ],
    nextSteps: [
      '`ping HOST` and `ip route get ADDRESS` show which way packets would go',
      'Check the address and that the host is up',
      'A link may be down for a moment: retry with backoff',
    ],
  },
  ENETUNREACH: {
    title: 'network unreachable',
    side: 'client',
    retryable: false,
    what: (at) => `This machine has no route to the network of ${at}.`,
    likelyCauses: [
      'No default route: the machine is offline',
      'An IPv6 address on a machine without IPv6 connectivity (common when DNS returns AAAA first)',
      'A VPN or network interface is down',
    ],
    nextSteps: [
      '`ip route` and `ip -6 route` show the routes this machine has',
      "Without IPv6 routing, prefer IPv4: family 4, or dns.setDefaultResultOrder('ipv4first')",
      'Bring the interface or VPN up',
    ],
  },
  EADDRNOTAVAIL: {
    title: 'address not available',
    side: 'either',
    retryable: false,
    what: (at) => `The local address ${at} cannot be used on this machine.`,
    likelyCauses: [
      'Binding an IP address no interface of this machine has (an address copied from another machine)',
      'An IPv6 link-local address without its zone id (fe80::1%eth0)',
      'A client ran out of ephemeral ports (very many connections, many in TIME_WAIT)',
    ],
    nextSteps: [
      '`ip addr` lists the addresses this machine has; bind one of them, or 0.0.0.0 / ::',
      'Count TIME_WAIT connections: `ss -tan state time-wait | wc -l`; reuse connections (keep-alive, pools)',
    ],
  },
  EAI_AGAIN: {
    title: 'temporary failure in name resolution',
    side: 'client',
    retryable: true,
    what: (at) =>
      `The name ${at} could not be resolved right now: getaddrinfo got no answer from any DNS server.`,
    likelyCauses: [
      'No network, or the DNS servers in /etc/resolv.conf are unreachable',
      'The DNS server timed out or is overloaded',
      'In a container: a broken resolv.conf or DNS forwarding',
    ],
    nextSteps: [
      '`getent hosts NAME` and `cat /etc/resolv.conf`',
      'Check the network, then retry with backoff (it often passes)',
    ],
  },
  ENOTFOUND: {
    title: 'name not found',
    side: 'client',
    retryable: false,
    what: (at) => `The name ${at} was not found: neither /etc/hosts nor DNS has an address for it.`,
    likelyCauses: [
      'A typo in the host name',
      'A name that only exists on another network (an internal name, a container name)',
      'A URL or host:port given where a bare host name was expected',
    ],
    nextSteps: [
      '`getent hosts NAME` shows what getaddrinfo sees; `dig NAME` shows what DNS says',
      'Check the spelling; pass the host only, without scheme, port or path',
      'For local testing, add the name to /etc/hosts',
    ],
  },
  ECONNABORTED: {
    title: 'connection aborted',
    side: 'either',
    retryable: true,
    what: (at) =>
      `The connection with ${at} was aborted on this machine before it could be used (often while it waited to be accepted).`,
    likelyCauses: [
      'The client gave up and reset before the server accepted the connection',
      'A local timeout, or the kernel dropped the connection',
    ],
    nextSteps: [
      'A server should drop that one connection and keep accepting',
      'A client can reconnect',
      'If it happens often, the server accepts too slowly: make accept faster, raise the backlog',
    ],
  },
  EMFILE: {
    title: 'too many open files',
    side: 'either',
    retryable: false,
    what: () =>
      'This process reached its limit of open file descriptors. Every socket, file and pipe uses one, so no new connection can be made or accepted until some close.',
    likelyCauses: [
      'A socket leak: connections that are never closed (error and timeout paths that forget destroy())',
      'Many connections and a low limit (`ulimit -n` is often 1024)',
      'Files opened and never closed',
    ],
    nextSteps: [
      'Watch the count grow: countOpenSockets() from this library, or `ls /proc/PID/fd | wc -l`',
      '`lsof -p PID` shows what is open; sockets in CLOSE_WAIT (`ss -tanp state close-wait`) mean the peer closed and this side never did',
      'Close sockets on every path (end, error, timeout); only then raise the limit (`ulimit -n`, LimitNOFILE)',
    ],
  },
} as const satisfies Record<string, FailureEntry>;

const READ_THE_MESSAGE = 'Read the message: it quotes the input and says what was expected';

/** The codes `@socketlab/basics` raises itself. `what` is the error's own message. */
export const LIBRARY_FAILURES = {
  BASICS_ERR_INVALID_ENDPOINT: invalidInput('endpoint'),
  BASICS_ERR_INVALID_ADDRESS: invalidInput('address'),
  BASICS_ERR_INVALID_PORT: invalidInput('port'),
  BASICS_ERR_DNS: {
    title: 'name resolution failed',
    side: 'client',
    retryable: false,
    what: (message) => message,
    likelyCauses: [
      'See the reason: not-found, no-data, temporary-failure, server-failure, refused, timeout, invalid-name',
    ],
    nextSteps: [
      'Compare both ways of resolving: compareResolution(name)',
      '`getent hosts NAME` (lookup) and `dig NAME` (DNS)',
    ],
  },
  BASICS_ERR_TIMEOUT: {
    title: 'timed out (our own limit)',
    side: 'either',
    retryable: true,
    what: (message) => message,
    likelyCauses: [
      'The peer accepted the connection but never sent what was awaited',
      'The peer or the network is slow or stalled',
      'The limit is shorter than the work needs',
    ],
    nextSteps: [
      'Check the peer is alive and speaks the expected protocol: `nc HOST PORT`',
      'Raise the limit if the work is legitimately slow; otherwise retry with backoff',
    ],
  },
  BASICS_ERR_CONNECTION: {
    title: 'connection failed',
    side: 'either',
    retryable: true,
    what: (message) => message,
    likelyCauses: ['The socket failed; its cause has the operating-system code'],
    nextSteps: ['Explain the cause: explainSocketError(err.cause)'],
  },
  BASICS_ERR_INVALID_TRANSITION: programmingError(
    'the TCP state machine was given an event its state does not accept',
  ),
  BASICS_ERR_UNSUPPORTED_PLATFORM: {
    title: 'not supported on this platform',
    side: 'client',
    retryable: false,
    what: (message) => message,
    likelyCauses: ['The feature reads Linux-only files such as /proc/self/fd or /proc/net/tcp'],
    nextSteps: ['Run it on Linux, or use the portable tools: `lsof`, `netstat`, `ss`'],
  },
  BASICS_ERR_PARSE: programmingError('text from the system could not be parsed'),
  BASICS_ERR_LIMIT_EXCEEDED: {
    title: 'limit exceeded',
    side: 'either',
    retryable: false,
    what: (message) => message,
    likelyCauses: ['Input, or a peer, went past a limit set to protect this program'],
    nextSteps: ['Raise the limit only if the input is legitimate; otherwise reject the peer'],
  },
} as const satisfies Record<string, FailureEntry>;

/** The entry for an error nobody has explained yet. */
export const UNKNOWN_FAILURE: FailureEntry = {
  title: 'unexpected error',
  side: 'either',
  retryable: false,
  what: (message) => message,
  likelyCauses: ['An error this library has no explanation for yet'],
  nextSteps: [
    'Read the original message and stack trace',
    'For an operating-system code (E…), `man 3 errno` and `man 7 tcp` describe it',
  ],
};

function invalidInput(kind: string): FailureEntry {
  return {
    title: `invalid ${kind}`,
    side: 'client',
    retryable: false,
    what: (message) => message,
    likelyCauses: [
      `The ${kind} came from a user, a config file or the network and is malformed; nothing was sent`,
    ],
    nextSteps: [
      READ_THE_MESSAGE,
      'Fix the configuration or reject the input; retrying cannot help',
    ],
  };
}

function programmingError(what: string): FailureEntry {
  return {
    title: what,
    side: 'client',
    retryable: false,
    what: (message) => message,
    likelyCauses: ['A bug in the code calling the library, or input it did not expect'],
    nextSteps: [READ_THE_MESSAGE, 'Report it with the message if the input looks valid'],
  };
}
