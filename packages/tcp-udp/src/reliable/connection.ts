import { checkInteger, checkNumber } from '@socketlab/internal';
import type { ReliableCongestionControl } from './congestion.ts';
import {
  DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES,
  DEFAULT_RELIABLE_MAX_SACK_BLOCKS,
  RELIABLE_FLAG_PING,
  RELIABLE_HEADER_BYTES,
  RELIABLE_SACK_BLOCK_BYTES,
  type ReliablePacket,
  type ReliablePacketType,
  seqAdd,
  seqDistance,
} from './packet.ts';
import { PathMtuSearch, UDP_MAX_DATAGRAM_BYTES } from './pmtu.ts';
import { ReliableReceiver, type ReliableReceiverStats } from './receiver.ts';
import type { RtoOptions } from './rtt.ts';
import { ReliableSender, type ReliableSenderStats } from './sender.ts';

/** Zeros a probe's padding is cut from (never written to). */
const PADDING = new Uint8Array(UDP_MAX_DATAGRAM_BYTES);

/** Limits and timers of one reliable connection; every one has a default. */
export interface ReliableConnectionLimits {
  /** Payload per packet until path MTU discovery finds a larger size. @default 1200 */
  readonly maxPayloadBytes?: number;
  /**
   * Largest datagram (header included) path MTU discovery (RFC 8899) probes for and accepts;
   * at or below the base size (header, SACK blocks and `maxPayloadBytes`) nothing is probed.
   * `suggestedMaxDatagramBytes(host)` gives 65507 on loopback and 1472 otherwise.
   * @default the base size: no probing
   */
  readonly maxDatagramBytes?: number;
  /** Segments in flight at most. @default 64 */
  readonly maxWindowSegments?: number;
  /** `fixed` (no congestion control) or `reno` (RFC 5681 window). @default 'fixed' */
  readonly congestionControl?: ReliableCongestionControl;
  /** Initial congestion window with `reno`, in packets. @default 10 */
  readonly initialWindowSegments?: number;
  /** Unacknowledged bytes accepted from the application, at most. @default 1048576 */
  readonly maxSendBufferBytes?: number;
  /** Received bytes held (unread plus out of order), at most. @default 262144 */
  readonly maxReceiveBufferBytes?: number;
  /** SACK blocks per packet, sent and accepted. @default 4 */
  readonly maxSackBlocks?: number;
  /** Retransmission timeouts in a row, with no valid ACK, before giving up. @default 10 */
  readonly maxRetransmits?: number;
  /** SYN (or SYN-ACK) retransmissions before giving up on the handshake. @default 5 */
  readonly maxHandshakeRetries?: number;
  /** Nothing heard from the peer for this long closes the connection; 0 never. @default 30000 */
  readonly idleTimeoutMs?: number;
  /** Nothing sent for this long sends a keep-alive that asks for an ACK; 0 never. @default 10000 */
  readonly keepaliveMs?: number;
  /**
   * After both FINs are acknowledged, how long to stay to re-acknowledge a resent FIN (at least
   * two RTOs); later, the socket layer answers with {@link ReliableConnection.finalAck}. @default 1000
   */
  readonly lingerMs?: number;
  /**
   * Segments sent back to back at most; beyond, sending is paced at the window per smoothed RTT
   * (a token bucket on the injected clock). 0 turns pacing off. @default 32
   */
  readonly maxBurstSegments?: number;
  /** Retransmission timer (RFC 6298); `minRtoMs` defaults to 1000 as the RFC says. */
  readonly rto?: RtoOptions;
  /**
   * Packets no honest peer sends (an ACK for data never sent, a segment far past the window)
   * tolerated before the connection is reset, closing with `protocol-error`; 0 never. @default 1000
   */
  readonly maxInvalidPackets?: number;
}

/** Options of {@link ReliableConnection}. */
export interface ReliableConnectionOptions extends ReliableConnectionLimits {
  /** `client` sends the SYN; `server` is made from a received SYN. */
  readonly role: 'client' | 'server';
  /** Connection id (the client picks it at random). */
  readonly connectionId: number;
  /** Own initial sequence number, chosen at random by the caller. */
  readonly isn: number;
}

/** Where a connection is: handshake (either side), open, lingering after both FINs, closed. */
export type ReliableConnectionState = 'connecting' | 'accepting' | 'open' | 'lingering' | 'closed';

/**
 * Why a connection closed: `done` (both sides ended), `reset` (the peer sent RST), `aborted`
 * (closed locally), `timeout` (retransmissions exhausted), `handshake-timeout`, `idle`
 * (nothing heard for `idleTimeoutMs`), `protocol-error` (over `maxInvalidPackets` impossible packets).
 */
export type ReliableCloseReason =
  | 'done'
  | 'reset'
  | 'aborted'
  | 'timeout'
  | 'handshake-timeout'
  | 'idle'
  | 'protocol-error';

/** Counters of a {@link ReliableConnection}. */
export interface ReliableConnectionStats extends ReliableSenderStats, ReliableReceiverStats {
  handshakeRetries: number;
  packetsIn: number;
  packetsOut: number;
  /** Packets that made no sense in the current state (wrong handshake ACK, …): ignored. */
  ignoredPackets: number;
  /** Smoothed RTT in ms, once measured. */
  srttMs: number | undefined;
  /** Current retransmission timeout in ms. */
  rtoMs: number;
  /** The peer's last advertised window, in segments (0: it cannot take more now). */
  peerWindow: number;
  /** Bytes written and not yet acknowledged. */
  sendBufferedBytes: number;
  /** Bytes received out of order, waiting for a gap to fill. */
  outOfOrderBytes: number;
  /** The congestion window in packets with `congestionControl: 'reno'`; undefined with `fixed`. */
  congestionWindow: number | undefined;
  /** The largest datagram (header included) the path is known to carry: DPLPMTUD's result. */
  pathDatagramBytes: number;
  /** Path MTU probes sent, and acknowledged. */
  probesSent: number;
  probesAcked: number;
}

/**
 * One reliable connection as a pure state machine with an injected clock: feed it packets
 * ({@link ReliableConnection.onPacket}), timer ticks ({@link ReliableConnection.onTimer}) and
 * application calls (`write`, `end`, `read`, `abort`), then call {@link ReliableConnection.flush}
 * for the packets to send and arm a timer for {@link ReliableConnection.nextDeadline}.
 * Three-way handshake (SYN, SYN-ACK, ACK) with retries, data with a window, SACK and
 * retransmission, FIN in both directions with a bounded linger, RST, idle timeout, keep-alive.
 * @throws {RangeError} (constructor) on a limit out of range; {TypeError} on one that is not a
 *   number, or not an integer where one is needed.
 * @example
 * const client = new ReliableConnection({ role: 'client', connectionId: 7, isn: 1000 }, now);
 * send(client.flush(now)); // a SYN
 */
export class ReliableConnection {
  state: ReliableConnectionState;
  closeReason: ReliableCloseReason | undefined;
  readonly connectionId: number;
  readonly sender: ReliableSender;
  receiver: ReliableReceiver | undefined;
  private readonly isn: number;
  private peerIsn = 0;
  /** The server's hello cookie, echoed in every SYN once a COOKIE brought it. */
  private cookie: Uint8Array | undefined;
  private readonly limits: Required<
    Omit<
      ReliableConnectionLimits,
      | 'rto'
      | 'congestionControl'
      | 'initialWindowSegments'
      | 'maxBurstSegments'
      | 'maxDatagramBytes'
    >
  >;
  private readonly control: ReliablePacket[] = [];
  private oweAck = false;
  private handshakeDeadline: number | undefined;
  private handshakeSentAt = 0;
  private handshakeRetries = 0;
  private lingerUntil: number | undefined;
  private lastHeard: number;
  private lastSent: number;
  private lastWindow = 0;
  private packetsIn = 0;
  private packetsOut = 0;
  private ignored = 0;
  private invalid = 0;
  /** DPLPMTUD (RFC 8899): which datagram size the path carries. */
  readonly pmtu: PathMtuSearch;
  /** The largest payload accepted from the peer (its probes and segments). */
  private readonly maxReceivePayload: number;

  constructor(options: ReliableConnectionOptions, now: number) {
    this.connectionId = options.connectionId >>> 0;
    this.isn = options.isn >>> 0;
    this.limits = {
      maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES,
      maxWindowSegments: options.maxWindowSegments ?? 64,
      maxSendBufferBytes: options.maxSendBufferBytes ?? 1 << 20,
      maxReceiveBufferBytes: options.maxReceiveBufferBytes ?? 256 * 1024,
      maxSackBlocks: options.maxSackBlocks ?? DEFAULT_RELIABLE_MAX_SACK_BLOCKS,
      maxRetransmits: options.maxRetransmits ?? 10,
      maxHandshakeRetries: checkInteger('maxHandshakeRetries', options.maxHandshakeRetries ?? 5, 0),
      idleTimeoutMs: checkNumber('idleTimeoutMs', options.idleTimeoutMs ?? 30_000, 0),
      keepaliveMs: checkNumber('keepaliveMs', options.keepaliveMs ?? 10_000, 0),
      lingerMs: checkNumber('lingerMs', options.lingerMs ?? 1000, 0),
      maxInvalidPackets: checkInteger('maxInvalidPackets', options.maxInvalidPackets ?? 1000, 0),
    };
    this.sender = new ReliableSender({
      firstSeq: seqAdd(this.isn, 1),
      maxPayloadBytes: this.limits.maxPayloadBytes,
      maxWindowSegments: this.limits.maxWindowSegments,
      maxSendBufferBytes: this.limits.maxSendBufferBytes,
      maxRetransmits: this.limits.maxRetransmits,
      ...(options.congestionControl ? { congestionControl: options.congestionControl } : {}),
      ...(options.initialWindowSegments === undefined
        ? {}
        : { initialWindowSegments: options.initialWindowSegments }),
      ...(options.rto ? { rto: options.rto } : {}),
      ...(options.maxBurstSegments === undefined
        ? {}
        : { maxBurstSegments: options.maxBurstSegments }),
    });
    const base =
      RELIABLE_HEADER_BYTES +
      this.limits.maxSackBlocks * RELIABLE_SACK_BLOCK_BYTES +
      this.limits.maxPayloadBytes;
    const maxDatagram = checkInteger(
      'maxDatagramBytes',
      options.maxDatagramBytes ?? base,
      RELIABLE_HEADER_BYTES + 1,
      UDP_MAX_DATAGRAM_BYTES,
    );
    this.pmtu = new PathMtuSearch({ baseBytes: base, maxBytes: maxDatagram });
    this.maxReceivePayload = Math.max(
      this.limits.maxPayloadBytes,
      Math.min(maxDatagram - RELIABLE_HEADER_BYTES, this.limits.maxReceiveBufferBytes),
    );
    this.lastHeard = now;
    this.lastSent = now;
    this.state = options.role === 'client' ? 'connecting' : 'accepting';
    if (options.role === 'client') this.sendHandshake('SYN', now);
  }

  /** Builds the server side from a received SYN and queues the SYN-ACK. */
  static accept(
    syn: ReliablePacket,
    options: Omit<ReliableConnectionOptions, 'role' | 'connectionId'>,
    now: number,
  ): ReliableConnection {
    const connection = new ReliableConnection(
      { ...options, role: 'server', connectionId: syn.connectionId },
      now,
    );
    connection.startReceiving(syn);
    connection.sendHandshake('SYN_ACK', now);
    return connection;
  }

  /** Accepts up to `data.length` bytes into the send buffer; returns how many (backpressure). */
  write(data: Uint8Array): number {
    return this.state === 'closed' ? 0 : this.sender.write(data);
  }

  /** Bytes `write` would accept now. */
  get writableBytes(): number {
    return this.state === 'closed' ? 0 : this.sender.freeBytes;
  }

  /** Ends the sending direction: a FIN follows the data already written. Idempotent. */
  end(): void {
    this.sender.end();
  }

  /** True once the peer's FIN arrived: `read` returns the last bytes, then nothing more comes. */
  get remoteEnded(): boolean {
    return this.receiver?.finished ?? false;
  }

  /** Takes the bytes received in order; may queue a window update. */
  read(): Uint8Array[] {
    const receiver = this.receiver;
    if (!receiver) return [];
    const chunks = receiver.read();
    const full = Math.floor(this.limits.maxReceiveBufferBytes / this.limits.maxPayloadBytes);
    const now = receiver.window;
    if ((this.lastWindow === 0 && now > 0) || (this.lastWindow < full / 2 && now >= full / 2)) {
      this.oweAck = true;
    }
    return chunks;
  }

  /** Closes at once with an RST to the peer. */
  abort(): void {
    if (this.state === 'closed') return;
    this.control.push(this.packet('RST', this.sender.sndNxt));
    this.close('aborted');
  }

  /** Takes one packet from the peer (already matched to this connection id). */
  onPacket(packet: ReliablePacket, now: number): void {
    if (this.state === 'closed') return;
    this.packetsIn++;
    if (packet.type === 'RST') {
      // An RST must carry a sequence number near what we expect (the idea of RFC 5961 §3): a
      // blind attacker who guessed the connection id still has to guess that too.
      const receiver = this.receiver;
      const offset = receiver ? seqDistance(receiver.rcvNext, packet.seq) : 0;
      const slack = this.limits.maxWindowSegments + (receiver?.window ?? 0);
      if (offset < -this.limits.maxWindowSegments || offset > slack) {
        this.ignored++;
        return;
      }
      this.close('reset');
      return;
    }
    if (packet.type === 'SYN') {
      // Our SYN-ACK was lost: the client asks again.
      if (this.state === 'accepting' && packet.seq === this.peerIsn)
        this.sendHandshake('SYN_ACK', now);
      else this.ignored++;
      return;
    }
    if (packet.type === 'SYN_ACK') {
      this.onSynAck(packet, now);
      return;
    }
    if (packet.type === 'COOKIE') {
      this.onCookie(packet, now);
      return;
    }
    if (packet.type === 'PROBE' || packet.type === 'PROBE_ACK') {
      this.onProbe(packet, now);
      return;
    }
    if (this.state === 'connecting') {
      this.ignored++;
      return;
    }
    if (this.state === 'accepting') {
      if (packet.ack !== seqAdd(this.isn, 1)) {
        this.ignored++;
        return;
      }
      if (this.handshakeRetries === 0) this.sender.rtt.sample(now - this.handshakeSentAt);
      this.state = 'open';
      this.handshakeDeadline = undefined;
    }
    this.lastHeard = now;
    // At most one count per packet, whatever is wrong with it.
    let invalid = this.sender.onAck(packet.ack, packet.window, packet.sack, now) === 'invalid';
    if ((packet.flags & RELIABLE_FLAG_PING) !== 0) this.oweAck = true;
    const receiver = this.receiver;
    if (receiver && (packet.type === 'DATA' || packet.type === 'FIN')) {
      const outcome = receiver.onSegment(packet.seq, packet.payload, packet.type === 'FIN');
      const offset = seqDistance(receiver.rcvNext, packet.seq);
      // Answer accepted and duplicate segments, and probes just past the window; not far-off ones.
      if (outcome !== 'outside-window' || offset <= this.limits.maxWindowSegments) {
        this.oweAck = true;
      } else {
        invalid = true;
      }
      // A resent FIN while lingering: our ACK was lost; wait the full linger again (TIME-WAIT's rule).
      if (this.state === 'lingering' && packet.type === 'FIN') this.startLinger(now);
    }
    if (invalid) this.invalid++;
    if (this.limits.maxInvalidPackets > 0 && this.invalid >= this.limits.maxInvalidPackets) {
      // A peer that keeps sending what it cannot have meant is broken or hostile: stop serving it.
      this.control.push(this.packet('RST', this.sender.sndNxt));
      this.close('protocol-error');
      return;
    }
    this.checkDone(now);
  }

  /** Runs every timer that is due at `now`. */
  onTimer(now: number): void {
    if (this.state === 'closed') return;
    if (this.handshakeDeadline !== undefined && now >= this.handshakeDeadline) {
      if (this.handshakeRetries >= this.limits.maxHandshakeRetries) {
        this.close('handshake-timeout');
        return;
      }
      this.handshakeRetries++;
      this.sender.rtt.backoff();
      this.sendHandshake(this.state === 'connecting' ? 'SYN' : 'SYN_ACK', now);
    }
    if (this.lingerUntil !== undefined && now >= this.lingerUntil) {
      this.close('done');
      return;
    }
    const idle = this.limits.idleTimeoutMs;
    // Each check is written as its deadline in `nextDeadline` is (`last + interval`): in floating
    // point `now - last >= interval` can be false at the very time `last + interval <= now`, and
    // a timer armed for that deadline would then fire again and again at the same instant.
    if (idle > 0 && now >= this.lastHeard + idle && this.state !== 'lingering') {
      this.control.push(this.packet('RST', this.sender.sndNxt));
      this.close('idle');
      return;
    }
    const sent = this.sender.onTimer(now);
    if (sent === 'exhausted') {
      this.control.push(this.packet('RST', this.sender.sndNxt));
      this.close('timeout');
      return;
    }
    // Black-hole detection (RFC 8899 §4.3): two timeouts in a row after a larger size was
    // confirmed, and segments of that size may be what the path now drops: cut new segments at
    // the base size. (Segments already cut keep their size: sequence numbers count segments.)
    if (
      sent === 'retransmit' &&
      this.sender.consecutiveTimeouts >= 2 &&
      this.pmtu.onBlackHole(now)
    ) {
      this.sender.segmentBytes = this.limits.maxPayloadBytes;
    }
    this.pmtu.onTimer(now);
    const keepalive = this.limits.keepaliveMs;
    if (this.state === 'open' && keepalive > 0 && now >= this.lastSent + keepalive) {
      this.control.push({ ...this.packet('ACK', this.sender.sndNxt), flags: RELIABLE_FLAG_PING });
    }
  }

  /** The packets to send now: handshake and control packets, data, and an ACK if one is owed. */
  flush(now: number): ReliablePacket[] {
    const out = this.control.splice(0);
    if (this.state === 'open') {
      // A probe gets three RTOs to be answered: a late answer is not a smaller path.
      const probe = this.pmtu.poll(now, 3 * this.sender.rtt.rto);
      if (probe) {
        out.push({
          ...this.packet('PROBE', probe.id),
          payload: PADDING.subarray(0, probe.datagramBytes - RELIABLE_HEADER_BYTES),
        });
      }
    }
    if (this.state === 'open' || this.state === 'lingering') {
      for (const segment of this.sender.poll(now)) {
        out.push({
          ...this.packet(segment.fin ? 'FIN' : 'DATA', segment.seq),
          payload: segment.payload,
        });
      }
      if (this.oweAck && !out.some((p) => p.type === 'DATA' || p.type === 'FIN')) {
        out.push(this.packet('ACK', this.sender.sndNxt));
      }
      this.oweAck = false;
    }
    if (out.length > 0) {
      this.lastSent = now;
      this.packetsOut += out.length;
    }
    this.checkDone(now);
    return out;
  }

  /**
   * After a `done` close, the ACK that acknowledges everything the peer sent, FIN included. The
   * socket layer keeps it for a while (TIME-WAIT, RFC 9293 §3.6) and sends it to a peer whose
   * ACK was lost and who resends its data or FIN after our linger ended; undefined otherwise.
   */
  finalAck(): ReliablePacket | undefined {
    if (this.closeReason !== 'done') return undefined;
    return this.packet('ACK', this.sender.sndNxt);
  }

  /** The earliest time `onTimer` has something to do, or undefined once closed. */
  get nextDeadline(): number | undefined {
    if (this.state === 'closed') return undefined;
    const times = [
      this.handshakeDeadline,
      this.lingerUntil,
      this.sender.nextDeadline,
      this.state === 'open' ? this.pmtu.nextDeadline : undefined,
    ];
    if (this.limits.idleTimeoutMs > 0) times.push(this.lastHeard + this.limits.idleTimeoutMs);
    if (this.state === 'open' && this.limits.keepaliveMs > 0) {
      times.push(this.lastSent + this.limits.keepaliveMs);
    }
    const due = times.filter((t): t is number => t !== undefined);
    return due.length > 0 ? Math.min(...due) : undefined;
  }

  /** Counters from both halves and the handshake. */
  get stats(): ReliableConnectionStats {
    return {
      ...this.sender.stats,
      ...(this.receiver?.stats ?? { accepted: 0, duplicates: 0, outsideWindow: 0, afterFin: 0 }),
      handshakeRetries: this.handshakeRetries,
      packetsIn: this.packetsIn,
      packetsOut: this.packetsOut,
      ignoredPackets: this.ignored,
      srttMs: this.sender.rtt.srtt,
      rtoMs: this.sender.rtt.rto,
      peerWindow: this.sender.peerWindow,
      sendBufferedBytes: this.sender.bufferedBytes,
      outOfOrderBytes: this.receiver?.outOfOrderBytes ?? 0,
      congestionWindow: this.sender.congestion?.cwnd,
      pathDatagramBytes: this.pmtu.datagramBytes,
      probesSent: this.pmtu.probesSent,
      probesAcked: this.pmtu.probesAcked,
    };
  }

  private onSynAck(packet: ReliablePacket, now: number): void {
    if (this.state === 'connecting' && packet.ack === seqAdd(this.isn, 1)) {
      if (this.handshakeRetries === 0) this.sender.rtt.sample(now - this.handshakeSentAt);
      this.startReceiving(packet);
      this.sender.peerWindow = packet.window;
      this.state = 'open';
      this.handshakeDeadline = undefined;
      this.lastHeard = now;
      this.oweAck = true;
    } else if (
      this.state !== 'connecting' &&
      this.state !== 'accepting' &&
      packet.seq === this.peerIsn
    ) {
      this.oweAck = true; // our handshake ACK was lost: say it again
    } else {
      this.ignored++;
    }
  }

  /**
   * A server that demands a hello cookie answered our SYN with one: send the SYN again at once,
   * echoing it. The handshake deadline stays where it was, so a peer that answers every SYN with
   * a COOKIE cannot hold the handshake open past `maxHandshakeRetries`.
   */
  private onCookie(packet: ReliablePacket, now: number): void {
    if (this.state !== 'connecting' || packet.seq !== this.isn) {
      this.ignored++;
      return;
    }
    this.cookie = Uint8Array.from(packet.payload);
    this.control.push({ ...this.packet('SYN', this.isn), payload: this.cookie });
    this.handshakeSentAt = now;
  }

  /**
   * A PROBE is answered with a PROBE_ACK echoing its number, if its size is one we accept; a
   * PROBE_ACK confirms our probe in flight, and segments are cut at the size it proved.
   */
  private onProbe(packet: ReliablePacket, now: number): void {
    if (this.state !== 'open' && this.state !== 'lingering') {
      this.ignored++;
      return;
    }
    if (packet.type === 'PROBE') {
      if (packet.payload.length > this.maxReceivePayload) {
        this.ignored++;
        return;
      }
      this.lastHeard = now;
      this.control.push({ ...this.packet('PROBE_ACK', packet.seq), sack: [] });
      return;
    }
    if (!this.pmtu.onProbeAck(packet.seq)) {
      this.ignored++;
      return;
    }
    this.lastHeard = now;
    this.sender.segmentBytes = this.segmentBytesFor(this.pmtu.datagramBytes);
  }

  /** Payload per segment in a datagram of `datagramBytes`, room left for the SACK blocks. */
  private segmentBytesFor(datagramBytes: number): number {
    return (
      datagramBytes - RELIABLE_HEADER_BYTES - this.limits.maxSackBlocks * RELIABLE_SACK_BLOCK_BYTES
    );
  }

  private startReceiving(packet: ReliablePacket): void {
    this.peerIsn = packet.seq;
    this.receiver = new ReliableReceiver({
      firstSeq: seqAdd(packet.seq, 1),
      maxBufferBytes: this.limits.maxReceiveBufferBytes,
      maxPayloadBytes: this.maxReceivePayload,
      segmentBytes: this.limits.maxPayloadBytes,
      maxSackBlocks: this.limits.maxSackBlocks,
    });
    if (packet.type === 'SYN') this.sender.peerWindow = packet.window;
  }

  private sendHandshake(type: 'SYN' | 'SYN_ACK', now: number): void {
    const packet = this.packet(type, this.isn);
    this.control.push(type === 'SYN' && this.cookie ? { ...packet, payload: this.cookie } : packet);
    this.handshakeSentAt = now;
    this.handshakeDeadline = now + this.sender.rtt.rto;
  }

  private packet(type: ReliablePacketType, seq: number): ReliablePacket {
    const receiver = this.receiver;
    const window = receiver
      ? receiver.window
      : Math.floor(this.limits.maxReceiveBufferBytes / this.limits.maxPayloadBytes);
    if (type !== 'SYN' && type !== 'RST') this.lastWindow = window;
    const withAck = type !== 'SYN' && type !== 'RST' && type !== 'PROBE';
    return {
      type,
      flags: 0,
      connectionId: this.connectionId,
      seq,
      ack: withAck && receiver ? receiver.rcvNext : 0,
      window,
      sack:
        withAck && type !== 'SYN_ACK' && type !== 'PROBE_ACK' && receiver
          ? receiver.sackBlocks()
          : [],
      payload: new Uint8Array(0),
    };
  }

  private checkDone(now: number): void {
    if (this.state === 'open' && this.sender.finAcked && this.remoteEnded) {
      this.state = 'lingering';
      this.startLinger(now);
    }
  }

  private startLinger(now: number): void {
    // At least two RTOs, so a peer whose ACK of our FIN was lost can resend its FIN once.
    this.lingerUntil = now + Math.max(this.limits.lingerMs, 2 * this.sender.rtt.rto);
  }

  private close(reason: ReliableCloseReason): void {
    this.state = 'closed';
    this.closeReason = reason;
    this.handshakeDeadline = undefined;
    this.lingerUntil = undefined;
  }
}
