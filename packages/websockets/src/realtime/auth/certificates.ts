/**
 * TLS certificate failures, found inside whatever wraps them and explained to a person.
 * @see https://nodejs.org/api/tls.html (Node's certificate error codes, from OpenSSL's X509_V_ERR_*)
 */
import { RealtimeError } from '../errors.ts';

/** Why a certificate was refused: the `reason` of a `REALTIME_ERR_CERTIFICATE` error. */
export type CertificateFailureReason =
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'wrong-host-name'
  | 'unknown-authority'
  | 'not-tls';

/** Node's (OpenSSL's) error codes, by the reason each one means. */
export const CERTIFICATE_ERROR_CODES: Readonly<Record<string, CertificateFailureReason>> = {
  CERT_HAS_EXPIRED: 'certificate-expired',
  CERT_NOT_YET_VALID: 'certificate-not-yet-valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'wrong-host-name',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown-authority',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown-authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown-authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown-authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown-authority',
  ERR_SSL_WRONG_VERSION_NUMBER: 'not-tls',
};

const ADVICE: Readonly<Record<CertificateFailureReason, string>> = {
  'certificate-expired':
    "the server's certificate has expired: the server must renew it (a client cannot fix this; never turn verification off)",
  'certificate-not-yet-valid':
    "the server's certificate is not valid yet: check this machine's clock, or the certificate's start date",
  'wrong-host-name':
    'the certificate was issued for another host name: connect with a name the certificate carries, or issue one that names this host',
  'unknown-authority':
    "the certificate is signed by a CA this client does not trust: pass that CA's certificate in the client's `ca` option (never rejectUnauthorized: false), or have the server send its full chain",
  'not-tls':
    'the server did not answer with TLS: use http:// / ws:// for a plain server, or check the port',
};

/** The first object with a known certificate code, searching the wrappers Socket.IO puts around it. */
function findTlsError(
  err: unknown,
): { code: string; host?: unknown; cert?: unknown; error?: unknown } | undefined {
  // socket.io-client's connect_error wraps the transport's error: over WebSocket (ws) in
  // `err.description.error`; over long-polling (xmlhttprequest-ssl) in `err.context.statusText`.
  const queue: unknown[] = [err];
  const seen = new Set<unknown>();
  for (let i = 0; i < queue.length && i < 32; i++) {
    const value = queue[i];
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    const candidate = value as Record<string, unknown>;
    const code = candidate.code;
    if (typeof code === 'string' && code in CERTIFICATE_ERROR_CODES) {
      return candidate as { code: string };
    }
    // Node 20 reports a plain-HTTP answer to a TLS hello as EPROTO "wrong version number".
    if (code === 'EPROTO' && /wrong version number/.test(String(candidate.message))) {
      return { code: 'ERR_SSL_WRONG_VERSION_NUMBER', error: candidate };
    }
    for (const key of ['cause', 'description', 'error', 'context', 'statusText']) {
      try {
        queue.push(candidate[key]);
      } catch {
        // a getter that throws hides nothing we need
      }
    }
  }
  return undefined;
}

/**
 * Explains a TLS certificate failure — given the error itself, or an error wrapping it (a
 * socket.io-client `connect_error`, a `fetch` failure's `cause`, a `WebSocketError`).
 * @returns `REALTIME_ERR_CERTIFICATE` with `data.reason` and a message that says what to do, or
 * `undefined` when no certificate error is inside `err`. The original error is the `cause`.
 * @example
 * socket.on('connect_error', (err) => console.error(explainCertificateError(err)?.message ?? err.message));
 */
export function explainCertificateError(err: unknown): RealtimeError | undefined {
  const found = findTlsError(err);
  if (found === undefined) return undefined;
  const reason = CERTIFICATE_ERROR_CODES[found.code] as CertificateFailureReason;
  let message = ADVICE[reason];
  if (reason === 'wrong-host-name') {
    const names = (found.cert as { subjectaltname?: unknown } | undefined)?.subjectaltname;
    if (typeof found.host === 'string' && typeof names === 'string') {
      message += ` (connected to "${found.host}"; the certificate names ${names})`;
    }
  }
  return new RealtimeError('REALTIME_ERR_CERTIFICATE', `${message} [${found.code}]`, {
    reason,
    cause: found.error ?? found,
  });
}
