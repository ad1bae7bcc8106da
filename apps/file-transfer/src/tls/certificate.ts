/**
 * The receiver's TLS identity: a self-signed certificate made once and kept in the app's
 * folder, so its fingerprint stays the same from one run to the next (a sender that pinned it,
 * as SSH's known hosts do, can tell the same receiver from an impostor).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';

/**
 * The app's own folder: `$SOCKETLAB_FT_HOME`, else `$XDG_CONFIG_HOME/socketlab-ft`, else
 * `~/.config/socketlab-ft`.
 */
export function ftHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SOCKETLAB_FT_HOME) return env.SOCKETLAB_FT_HOME;
  const config = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(config, 'socketlab-ft');
}

/**
 * A certificate's fingerprint as SSH prints a key's: `SHA256:` and the base64 (no padding) of
 * the SHA-256 of its DER bytes.
 * @example fingerprintOf(cert.raw) // 'SHA256:q3b…'
 */
export function fingerprintOf(der: Buffer): string {
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}

/** The receiver's key and certificate (PEM) and the certificate's fingerprint. */
export interface ReceiverIdentity {
  key: string;
  cert: string;
  fingerprint: string;
  /** True when it was made just now (first `--tls` run). */
  created: boolean;
}

/**
 * Loads the receiver's identity from `home`, or makes one (RSA 2048, SHA-256, 10 years) and
 * keeps it there (the key readable by its owner only).
 * @throws the file system's error when `home` cannot be read or written.
 */
export async function loadOrCreateIdentity(home = ftHome()): Promise<ReceiverIdentity> {
  const keyFile = path.join(home, 'receiver-key.pem');
  const certFile = path.join(home, 'receiver-cert.pem');
  try {
    const [key, cert] = await Promise.all([readFile(keyFile, 'utf8'), readFile(certFile, 'utf8')]);
    return { key, cert, fingerprint: fingerprintOf(new X509Certificate(cert).raw), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const notAfterDate = new Date();
  notAfterDate.setFullYear(notAfterDate.getFullYear() + 10);
  const pems = await generate([{ name: 'commonName', value: 'socketlab-ft receiver' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate,
  });
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  await writeFile(certFile, pems.cert, { mode: 0o644 });
  return {
    key: pems.private,
    cert: pems.cert,
    fingerprint: fingerprintOf(new X509Certificate(pems.cert).raw),
    created: true,
  };
}
