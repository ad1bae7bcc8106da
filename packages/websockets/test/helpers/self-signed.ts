/**
 * A self-signed certificate for wss:// tests, made by openssl into a temporary folder that is
 * removed when the file's tests end. An EC key is generated in milliseconds; the certificate
 * names both localhost and 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** What {@link selfSignedCertificate} fills in once the file's `beforeAll` has run. */
export interface SelfSigned {
  key: Buffer;
  cert: Buffer;
  /** The certificate's PEM file, for a command's `--ca`. */
  certFile: string;
}

/** Registers the file's `beforeAll`/`afterAll`; read the fields inside tests, not at import. */
export function selfSignedCertificate(): SelfSigned {
  const made = { key: Buffer.alloc(0), cert: Buffer.alloc(0), certFile: '' };
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'socketlab-wss-'));
    const keyFile = path.join(dir, 'key.pem');
    made.certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-days',
        '1',
        '-keyout',
        keyFile,
        '-out',
        made.certFile,
      ],
      { stdio: 'ignore', timeout: 10_000 },
    );
    made.key = readFileSync(keyFile);
    made.cert = readFileSync(made.certFile);
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });
  return made;
}
