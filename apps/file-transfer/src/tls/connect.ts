/**
 * The sender's TLS connection, checked the way SSH checks a host key: the receiver's certificate
 * is self-signed, so no authority vouches for it; its fingerprint must equal the one given with
 * `--fingerprint`, or the one remembered for that host in `known_hosts` (trust on first use:
 * an unknown host's fingerprint is remembered and printed, a changed one is refused).
 */
import { once } from 'node:events';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { FtError } from '../errors.ts';
import { fingerprintOf } from './certificate.ts';

/** Options of {@link connectTls}. */
export interface ConnectTlsOptions {
  host: string;
  port: number;
  timeoutMs: number;
  /** The fingerprint the receiver printed (`SHA256:…`): anything else is refused. */
  fingerprint?: string;
  /** Where remembered fingerprints live, one `host fingerprint` a line. */
  knownHostsFile: string;
  /** Told when a host is seen for the first time and its fingerprint remembered. */
  onNewHost?: (host: string, fingerprint: string) => void;
}

async function knownFingerprint(file: string, host: string): Promise<string | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  let found: string | undefined;
  for (const line of text.split('\n')) {
    const [name, fingerprint] = line.trim().split(/\s+/);
    if (name === host && fingerprint) found = fingerprint; // the last line for a host wins
  }
  return found;
}

/**
 * Opens a TLS connection and checks the receiver's certificate fingerprint.
 * @throws {FtError} `FT_ERR_FINGERPRINT` when it is not the expected one (the connection is
 *   closed before a byte of the transfer is sent); `FT_ERR_CONNECTION` when it cannot connect.
 */
export async function connectTls(options: ConnectTlsOptions): Promise<tls.TLSSocket> {
  const { host, port, timeoutMs } = options;
  const socket = tls.connect({
    host,
    port,
    // No authority signs a receiver's certificate: it is checked by fingerprint just below.
    rejectUnauthorized: false,
  });
  socket.on('error', () => {});
  const timer = setTimeout(
    () => socket.destroy(new Error(`no TLS handshake in ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    await once(socket, 'secureConnect');
  } catch (cause) {
    throw new FtError(
      'FT_ERR_CONNECTION',
      `cannot connect to ${host}:${port} over TLS: ${(cause as Error).message}`,
      { cause },
    );
  } finally {
    clearTimeout(timer);
  }
  socket.setNoDelay(true);
  const certificate = socket.getPeerX509Certificate();
  const seen = certificate ? fingerprintOf(certificate.raw) : 'none';
  const expected = options.fingerprint ?? (await knownFingerprint(options.knownHostsFile, host));
  if (expected === undefined) {
    await mkdir(path.dirname(options.knownHostsFile), { recursive: true, mode: 0o700 });
    await appendFile(options.knownHostsFile, `${host} ${seen}\n`, { mode: 0o600 });
    options.onNewHost?.(host, seen);
    return socket;
  }
  if (expected !== seen) {
    socket.destroy();
    const how = options.fingerprint
      ? 'the one given with --fingerprint'
      : `the one remembered in ${options.knownHostsFile}`;
    throw new FtError(
      'FT_ERR_FINGERPRINT',
      `the receiver at ${host}:${port} shows the certificate ${seen}, not ${expected} (${how}): someone may be in the middle. If the receiver really changed its certificate, check the fingerprint it prints and pass it with --fingerprint`,
    );
  }
  if (options.fingerprint) {
    const remembered = await knownFingerprint(options.knownHostsFile, host);
    if (remembered !== seen) {
      await mkdir(path.dirname(options.knownHostsFile), { recursive: true, mode: 0o700 });
      await appendFile(options.knownHostsFile, `${host} ${seen}\n`, { mode: 0o600 });
    }
  }
  return socket;
}
