/**
 * A test certificate authority made by openssl at run time into a temporary folder that is removed
 * when the file's tests end (no private key is ever committed): a CA, and leaves it signs for the
 * names a test asks for, valid or already expired. EC keys (P-256) take milliseconds to make.
 *
 * @example
 * const pki = testCertificateAuthority();
 * it('connects', () => {
 *   const leaf = pki.issue({ names: ['localhost', '127.0.0.1'] });
 *   https.createServer({ key: leaf.key, cert: leaf.cert });
 *   // client: { ca: pki.ca.cert }
 * });
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** A key and its certificate, PEM. */
export interface KeyAndCertificate {
  key: Buffer;
  cert: Buffer;
  /** The certificate's PEM file (for a command's `--ca` or `--cert`). */
  certFile: string;
}

/** What a leaf is issued for. */
export interface LeafRequest {
  /** DNS names and IP addresses the certificate names (subjectAltName); the first is also its CN. */
  names: readonly string[];
  /** `'expired'`: valid from now, until yesterday (`openssl x509 -days -1`), so it has expired. @default 'valid' */
  validity?: 'valid' | 'expired';
}

/** A CA whose fields are filled once the file's `beforeAll` has run. */
export interface TestCertificateAuthority {
  /** The CA's own key and self-signed certificate: what a client puts in `ca` to trust it. */
  readonly ca: KeyAndCertificate;
  /** A leaf signed by this CA. Call it inside a test or a `beforeAll` registered after this one. */
  issue(request: LeafRequest): KeyAndCertificate;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const OPENSSL = { stdio: 'ignore', timeout: 10_000 } as const;

/** Registers the file's `beforeAll`/`afterAll`; read the fields inside tests, not at import. */
export function testCertificateAuthority(
  commonName = 'socketlab test CA',
): TestCertificateAuthority {
  const ca: KeyAndCertificate = { key: Buffer.alloc(0), cert: Buffer.alloc(0), certFile: '' };
  let dir = '';
  let serial = 0;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'socketlab-ca-'));
    const keyFile = path.join(dir, 'ca.key');
    ca.certFile = path.join(dir, 'ca.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        ...EC,
        '-subj',
        `/CN=${commonName}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-days',
        '2',
        '-keyout',
        keyFile,
        '-out',
        ca.certFile,
      ],
      OPENSSL,
    );
    ca.key = readFileSync(keyFile);
    ca.cert = readFileSync(ca.certFile);
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });
  return {
    ca,
    issue({ names, validity = 'valid' }: LeafRequest): KeyAndCertificate {
      if (dir === '') throw new Error('testCertificateAuthority: issue() runs after its beforeAll');
      const [first] = names;
      if (first === undefined) throw new TypeError('a leaf needs at least one name');
      serial++;
      const base = path.join(dir, `leaf-${serial}`);
      const alt = names.map((n) => (isIP(n) === 0 ? `DNS:${n}` : `IP:${n}`)).join(',');
      writeFileSync(
        `${base}.ext`,
        `subjectAltName=${alt}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
      );
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          ...EC,
          '-subj',
          `/CN=${first}`,
          '-keyout',
          `${base}.key`,
          '-out',
          `${base}.csr`,
        ],
        OPENSSL,
      );
      execFileSync(
        'openssl',
        [
          'x509',
          '-req',
          '-in',
          `${base}.csr`,
          '-CA',
          ca.certFile,
          '-CAkey',
          path.join(dir, 'ca.key'),
          '-set_serial',
          String(1000 + serial),
          '-days',
          validity === 'expired' ? '-1' : '1',
          '-extfile',
          `${base}.ext`,
          '-out',
          `${base}.pem`,
        ],
        OPENSSL,
      );
      return {
        key: readFileSync(`${base}.key`),
        cert: readFileSync(`${base}.pem`),
        certFile: `${base}.pem`,
      };
    },
  };
}
