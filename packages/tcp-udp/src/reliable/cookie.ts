import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RELIABLE_COOKIE_BYTES } from './packet.ts';

/** Options of {@link HelloCookies}. */
export interface HelloCookiesOptions {
  /** How long one secret signs new cookies before the next takes over (a time bucket). */
  readonly rotationMs: number;
  /** The clock, in milliseconds (injected: tests drive the rotation). */
  readonly now: () => number;
  /** A fresh secret, once per bucket. @default 32 random bytes from `crypto.randomBytes` */
  readonly newSecret?: () => Buffer;
}

interface Secret {
  readonly bucket: number;
  readonly key: Buffer;
}

/**
 * Stateless hello cookies, the idea of TCP's SYN cookies and QUIC's Retry token: the server
 * answers a hello with `HMAC-SHA256(secret, address, port, connection id, ISN, time bucket)`,
 * truncated to {@link RELIABLE_COOKIE_BYTES}, and keeps nothing; a hello that echoes a cookie
 * it can recompute came from someone who receives datagrams at that address. The secret is
 * random, replaced every `rotationMs`, and the previous one is still accepted, so a cookie lives
 * between one and two buckets. Holds two secrets, never anything per peer.
 * @example
 * const cookies = new HelloCookies({ rotationMs: 30_000, now: Date.now });
 * const cookie = cookies.issue('127.0.0.1', 4000, 7, 1000);
 * cookies.verify('127.0.0.1', 4000, 7, 1000, cookie); // true
 */
export class HelloCookies {
  private current: Secret;
  private previous: Secret | undefined;
  private readonly newSecret: () => Buffer;

  constructor(private readonly options: HelloCookiesOptions) {
    this.newSecret = options.newSecret ?? (() => randomBytes(32));
    this.current = { bucket: this.bucketNow(), key: this.newSecret() };
  }

  /** The cookie for a hello from `host`:`port` with this connection id and ISN. */
  issue(host: string, port: number, connectionId: number, isn: number): Buffer {
    this.rotate();
    return mac(this.current, host, port, connectionId, isn);
  }

  /** True when `cookie` is one this object issued for that hello in this bucket or the last. */
  verify(
    host: string,
    port: number,
    connectionId: number,
    isn: number,
    cookie: Uint8Array,
  ): boolean {
    if (cookie.length !== RELIABLE_COOKIE_BYTES) return false;
    this.rotate();
    // Both secrets are always tried, so the time taken does not tell which one matched.
    const current = timingSafeEqual(mac(this.current, host, port, connectionId, isn), cookie);
    const previous =
      this.previous !== undefined &&
      timingSafeEqual(mac(this.previous, host, port, connectionId, isn), cookie);
    return current || previous;
  }

  private bucketNow(): number {
    return Math.floor(this.options.now() / this.options.rotationMs);
  }

  private rotate(): void {
    const bucket = this.bucketNow();
    if (bucket <= this.current.bucket) return;
    // After a quiet spell of more than one bucket, the old secret is too old to keep.
    this.previous = bucket === this.current.bucket + 1 ? this.current : undefined;
    this.current = { bucket, key: this.newSecret() };
  }
}

function mac(
  secret: Secret,
  host: string,
  port: number,
  connectionId: number,
  isn: number,
): Buffer {
  const fixed = Buffer.allocUnsafe(18);
  fixed.writeUInt16BE(port, 0);
  fixed.writeUInt32BE(connectionId >>> 0, 2);
  fixed.writeUInt32BE(isn >>> 0, 6);
  fixed.writeDoubleBE(secret.bucket, 10);
  return createHmac('sha256', secret.key)
    .update(fixed)
    .update(host) // last and variable-length: the fixed fields before it cannot be confused
    .digest()
    .subarray(0, RELIABLE_COOKIE_BYTES);
}
