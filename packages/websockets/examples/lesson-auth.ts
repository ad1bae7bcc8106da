/**
 * The JWT of lessons/auth.md, part by part, and each attack of its section "The attacks" run
 * through `verifyJwt` on a fixed clock: which reason each one is refused with. Exits 1 if a
 * reason is not the one the lesson states.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-auth.ts
 */
import { exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { type JwtVerifyOptions, RealtimeError, verifyJwt } from '../src/realtime/index.ts';

const SECRET = 'an example secret of at least 32 bytes!!';
const secret = new TextEncoder().encode(SECRET);
const IAT = 1798761600; // 2027-01-01T00:00:00Z
const now = (): number => (IAT + 60) * 1000; // a minute after the token was issued
const claims = { sub: 'ada', iss: 'https://id.example', aud: 'chat', iat: IAT, exp: IAT + 900 };
const hs: JwtVerifyOptions = {
  algorithms: ['HS256'],
  key: SECRET,
  issuer: 'https://id.example',
  audience: 'chat',
  now,
};
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const sign = (key: Uint8Array | CryptoKey, alg: string, extra: JWTPayload = {}): Promise<string> =>
  new SignJWT({ ...claims, ...extra }).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);

const token = await sign(secret, 'HS256');
const [header = '', payload = '', signature = ''] = token.split('.');
console.log('the token, one part per line:');
console.log(`  ${header}\n  .${payload}\n  .${signature}`);
console.log(`header   ${Buffer.from(header, 'base64url').toString()}`);
console.log(`payload  ${Buffer.from(payload, 'base64url').toString()}`);
console.log('');

async function reasonOf(candidate: string, options: JwtVerifyOptions): Promise<string> {
  try {
    const verified = await verifyJwt(candidate, options);
    return `accepted (sub ${verified.sub})`;
  } catch (error) {
    return error instanceof RealtimeError ? error.data.reason : `threw ${String(error)}`;
  }
}

const { publicKey, privateKey } = await generateKeyPair('ES256');
const es: JwtVerifyOptions = { ...hs, algorithms: ['ES256'], key: publicKey };
const pem = new TextEncoder().encode(await exportSPKI(publicKey));
const edited = `${header}.${b64({ ...claims, sub: 'root' })}.${signature}`;
const cases: [string, Promise<string>, string][] = [
  ['the token above', reasonOf(token, hs), 'accepted (sub ada)'],
  [
    'alg none, empty signature',
    reasonOf(`${b64({ alg: 'none' })}.${payload}.`, hs),
    'algorithm-not-allowed',
  ],
  [
    'HS256 signed with the ES256 public key',
    reasonOf(await sign(pem, 'HS256'), es),
    'algorithm-not-allowed',
  ],
  ['sub edited to "root"', reasonOf(edited, hs), 'bad-signature'],
  [
    'signed with another secret',
    reasonOf(await sign(new TextEncoder().encode(`x${SECRET}`), 'HS256'), hs),
    'bad-signature',
  ],
  [
    'aud "billing"',
    reasonOf(await sign(secret, 'HS256', { aud: 'billing' }), hs),
    'wrong-audience',
  ],
  ['exp a second ago', reasonOf(await sign(secret, 'HS256', { exp: IAT + 59 }), hs), 'expired'],
  [
    'the same, 5 s of clock tolerance',
    reasonOf(await sign(secret, 'HS256', { exp: IAT + 59 }), { ...hs, clockToleranceSeconds: 5 }),
    'accepted (sub ada)',
  ],
  ['ES256, the right key', reasonOf(await sign(privateKey, 'ES256'), es), 'accepted (sub ada)'],
];
let wrong = 0;
for (const [name, result, expected] of cases) {
  const got = await result;
  if (got !== expected) wrong++;
  console.log(
    `${name.padEnd(40)} ${got}${got === expected ? '' : `   (the lesson says ${expected})`}`,
  );
}
console.log(
  wrong === 0
    ? '\nevery reason is the one the lesson states'
    : `\n${wrong} reasons differ from the lesson`,
);
process.exit(wrong === 0 ? 0 : 1);
