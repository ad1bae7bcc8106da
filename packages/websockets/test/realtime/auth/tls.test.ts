import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { RealtimeError } from '../../../src/realtime/errors.ts';
import {
  explainCertificateError,
  explainConnectError,
  useAuth,
} from '../../../src/realtime/index.ts';
import { type KeyAndCertificate, testCertificateAuthority } from '../../helpers/ca.ts';
import { client, hsOptions, hsToken, outcome } from './harness.ts';

const pki = testCertificateAuthority();
const stranger = testCertificateAuthority('a CA nobody trusts');
const leaves: Record<'good' | 'expired' | 'otherName' | 'unknownCa', KeyAndCertificate> =
  {} as never;
beforeAll(() => {
  leaves.good = pki.issue({ names: ['localhost', '127.0.0.1'] });
  leaves.expired = pki.issue({ names: ['localhost', '127.0.0.1'], validity: 'expired' });
  leaves.otherName = pki.issue({ names: ['example.com'] });
  leaves.unknownCa = stranger.issue({ names: ['localhost', '127.0.0.1'] });
});

async function startHttps(leaf: KeyAndCertificate): Promise<string> {
  const server = https.createServer({ key: leaf.key, cert: leaf.cert });
  const io = new Server(server);
  useAuth(io, { jwt: hsOptions });
  io.on('connection', (socket) =>
    socket.on('whoami', (ack: (auth: unknown) => void) => ack(socket.data.auth)),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => io.close(() => resolve())));
  return `https://localhost:${(server.address() as AddressInfo).port}`;
}

const TRANSPORTS = ['websocket', 'polling'] as const;

describe('Socket.IO over HTTPS and wss://', () => {
  it.each(TRANSPORTS)(
    'connects over %s to a server whose certificate the client trusts (ca)',
    async (transport) => {
      const url = await startHttps(leaves.good);
      const socket = client(url, {
        transports: [transport],
        ca: pki.ca.cert.toString(),
        auth: { token: await hsToken() },
      });
      expect(await outcome(socket)).toBe('connected');
      expect(socket.io.engine.transport.name).toBe(transport);
      expect(await socket.timeout(5000).emitWithAck('whoami' as never)).toMatchObject({
        subject: 'ada',
      });
    },
  );

  const failures = [
    ['an expired leaf', 'expired', 'certificate-expired', 'CERT_HAS_EXPIRED', /renew/],
    [
      'a leaf for another host name',
      'otherName',
      'wrong-host-name',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      /example\.com/,
    ],
    [
      'a leaf from an unknown CA',
      'unknownCa',
      'unknown-authority',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      /`ca`/,
    ],
  ] as const;

  for (const transport of TRANSPORTS) {
    it.each(failures)(
      `explains ${transport}: %s`,
      async (_name, leaf, reason, nodeCode, advice) => {
        const url = await startHttps(leaves[leaf]);
        const result = await outcome(
          client(url, { transports: [transport], ca: pki.ca.cert.toString() }),
        );
        expect(result).not.toBe('connected');
        // Where socket.io-client keeps the TLS error: ws's ErrorEvent in `description.error`, or
        // the XMLHttpRequest (xmlhttprequest-ssl) in `context`, whose `statusText` is the error.
        const wrapped = result as {
          description?: { error?: { code?: string } };
          context?: { statusText?: { code?: string } };
        };
        const inner =
          transport === 'websocket' ? wrapped.description?.error : wrapped.context?.statusText;
        expect(inner?.code).toBe(nodeCode);
        const failure = explainConnectError(result);
        expect(failure).toBeInstanceOf(RealtimeError);
        expect(failure?.code).toBe('REALTIME_ERR_CERTIFICATE');
        expect(failure?.data.reason).toBe(reason);
        expect(failure?.message).toMatch(advice);
        expect(failure?.message).toContain(nodeCode);
      },
    );
  }

  it('explains an https:// client talking to a plain HTTP server as not-tls', async () => {
    const server = http.createServer();
    const io = new Server(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => io.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const result = await outcome(
      client(`https://127.0.0.1:${port}`, { transports: ['websocket'] }),
    );
    expect(explainConnectError(result)?.data.reason).toBe('not-tls');
  });
});

describe('explainCertificateError', () => {
  const tlsError = (code: string): Error => Object.assign(new Error('tls'), { code });

  it.each([
    ['CERT_HAS_EXPIRED', 'certificate-expired'],
    ['CERT_NOT_YET_VALID', 'certificate-not-yet-valid'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'wrong-host-name'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unknown-authority'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'unknown-authority'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unknown-authority'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'unknown-authority'],
  ])('maps %s to %s, found itself or under cause', (code, reason) => {
    expect(explainCertificateError(tlsError(code))?.data).toEqual({
      code: 'REALTIME_ERR_CERTIFICATE',
      reason,
    });
    const wrapped = new Error('fetch failed', { cause: tlsError(code) });
    expect(explainCertificateError(wrapped)?.data.reason).toBe(reason);
    expect(explainCertificateError(wrapped)?.cause).toBe(wrapped.cause);
  });

  it('returns undefined for errors that are not about certificates, and for odd values', () => {
    expect(
      explainCertificateError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })),
    ).toBeUndefined();
    expect(explainCertificateError(undefined)).toBeUndefined();
    expect(explainCertificateError('CERT_HAS_EXPIRED')).toBeUndefined();
    const cycle: Record<string, unknown> = {};
    cycle.cause = cycle;
    expect(explainCertificateError(cycle)).toBeUndefined();
    const throwing = Object.defineProperty({}, 'cause', {
      get() {
        throw new Error('no');
      },
    });
    expect(explainCertificateError(throwing)).toBeUndefined();
  });
});
