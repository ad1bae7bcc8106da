/**
 * API keys: stored as SHA-256 hashes (never the key itself), compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { authError } from './jwt.ts';

/** Who an API key belongs to: its `subject` becomes `socket.data.auth.subject`. */
export interface ApiKeyPrincipal {
  /** The owner (a service, a user, a device). */
  subject: string;
  /** What the key may do; checked by the application. */
  scopes?: readonly string[];
}

/**
 * Where keys live. Either a `Map` from each key's SHA-256 hash (hex, {@link hashApiKey}) to its
 * principal, walked in full and compared in constant time; or a function given the presented
 * key's hash that looks it up (a database index on the hash) and returns the principal with
 * the stored `hash`, which is compared again in constant time.
 */
export type ApiKeyStore =
  | ReadonlyMap<string, ApiKeyPrincipal>
  | ((
      keyHash: string,
    ) =>
      | (ApiKeyPrincipal & { hash: string })
      | undefined
      | Promise<(ApiKeyPrincipal & { hash: string }) | undefined>);

/** The longest API key accepted, in characters. */
export const MAX_API_KEY_LENGTH = 512;

/** The SHA-256 of a key, hex: what a store keeps instead of the key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random API key (32 bytes, base64url): give it to its owner once, store only its hash. */
export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === 32 && right.length === 32 && timingSafeEqual(left, right);
}

/**
 * Finds the principal of a presented key.
 * @throws {RealtimeError} `REALTIME_ERR_AUTH`, reason `malformed` (not a string, empty, too
 * long) or `unknown-api-key`.
 * @example
 * const store = new Map([[hashApiKey(key), { subject: 'build-bot' }]]);
 * await verifyApiKey(key, store); // { subject: 'build-bot' }
 */
export async function verifyApiKey(
  presented: unknown,
  store: ApiKeyStore,
): Promise<ApiKeyPrincipal> {
  if (typeof presented !== 'string' || presented === '' || presented.length > MAX_API_KEY_LENGTH) {
    throw authError('malformed');
  }
  const hash = hashApiKey(presented);
  if (typeof store === 'function') {
    const found = await store(hash);
    if (found !== undefined && sameHash(found.hash, hash)) {
      const { hash: _stored, ...principal } = found;
      return principal;
    }
    throw authError('unknown-api-key');
  }
  // Every entry is compared, match or not, so the time taken does not say where (or whether) it matched.
  let match: ApiKeyPrincipal | undefined;
  for (const [stored, principal] of store) {
    if (sameHash(stored, hash) && match === undefined) match = principal;
  }
  if (match === undefined) throw authError('unknown-api-key');
  return match;
}
