import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { spawnSource, withTimeout } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  decodeXorMappedAddress,
  encodeBindingRequest,
  encodeBindingSuccess,
  encodeXorMappedAddress,
  parseStunMessage,
  STUN_ATTR_XOR_MAPPED_ADDRESS,
  STUN_BINDING_SUCCESS,
  startStunResponder,
} from '../../examples/stun.ts';
import { DistributedError } from '../../src/errors.ts';

const PACKAGE_DIR = new URL('../../', import.meta.url);
/** Starting Node with tsx under CI's full load has taken over 10 s. */
const RUN_MS = 60_000;

/** The transaction id of RFC 5769's sample responses (§2.2, §2.3). */
const RFC5769_TRANSACTION = Buffer.from('b7e7a701bc34d686fa87dfae', 'hex');

describe('examples/stun.ts against RFC 5769 test vectors', () => {
  it('encodes and decodes the IPv4 sample: 192.0.2.1:32853', () => {
    const mapped = { family: 'IPv4', address: '192.0.2.1', port: 32853 } as const;
    const value = encodeXorMappedAddress(mapped, RFC5769_TRANSACTION);
    expect(value.toString('hex')).toBe('0001a147e112a643');
    expect(decodeXorMappedAddress(value, RFC5769_TRANSACTION)).toEqual(mapped);
  });

  it('encodes and decodes the IPv6 sample, XORed with the cookie and the transaction id', () => {
    const mapped = {
      family: 'IPv6',
      address: '2001:db8:1234:5678:11:2233:4455:6677',
      port: 32853,
    } as const;
    const value = encodeXorMappedAddress(mapped, RFC5769_TRANSACTION);
    expect(value.toString('hex')).toBe('0002a1470113a9faa5d3f179bc25f4b5bed2b9d9');
    expect(decodeXorMappedAddress(value, RFC5769_TRANSACTION)).toEqual(mapped);
  });

  it('builds a 20-byte Binding request and a response that parses back', () => {
    const request = encodeBindingRequest(RFC5769_TRANSACTION);
    expect(request.toString('hex')).toBe('000100002112a442b7e7a701bc34d686fa87dfae');
    const response = parseStunMessage(
      encodeBindingSuccess(RFC5769_TRANSACTION, {
        family: 'IPv4',
        address: '192.0.2.1',
        port: 32853,
      }),
    );
    expect(response.type).toBe(STUN_BINDING_SUCCESS);
    expect(response.transactionId).toEqual(RFC5769_TRANSACTION);
    expect(response.attributes.map((a) => a.type)).toEqual([STUN_ATTR_XOR_MAPPED_ADDRESS]);
  });

  it('refuses any datagram that is not STUN with DISTRIBUTED_ERR_PAYLOAD, never anything else', () => {
    const request = encodeBindingRequest(RFC5769_TRANSACTION);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          // a valid header with random bytes after it, or one random byte changed
          fc.uint8Array({ maxLength: 60 }).map((tail) => Buffer.concat([request, tail])),
          fc.tuple(fc.nat(19), fc.integer({ min: 1, max: 255 })).map(([at, flip]) => {
            const copy = Buffer.from(request);
            copy[at] = (copy[at] ?? 0) ^ flip;
            return copy;
          }),
        ),
        (bytes) => {
          try {
            parseStunMessage(Buffer.from(bytes));
          } catch (error) {
            expect(error).toBeInstanceOf(DistributedError);
            expect((error as DistributedError).code).toBe('DISTRIBUTED_ERR_PAYLOAD');
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(() => parseStunMessage(request.subarray(0, 19))).toThrow(/too short/);
  });
});

describe('the STUN responder on 127.0.0.1', () => {
  it('answers with the client socket as it saw it, drops junk and keeps answering', async () => {
    const responder = await startStunResponder('127.0.0.1');
    onTestFinished(() => responder.close());
    const client = createSocket('udp4');
    onTestFinished(() => {
      client.close();
    });
    client.bind(0, '127.0.0.1');
    await once(client, 'listening');
    client.send(Buffer.from('hello'), responder.port, '127.0.0.1');
    const transactionId = Buffer.from('0123456789abcdef01234567', 'hex');
    client.send(encodeBindingRequest(transactionId), responder.port, '127.0.0.1');
    const [answer] = (await withTimeout(
      once(client, 'message'),
      'a Binding success response',
      5000,
    )) as [Buffer];
    const message = parseStunMessage(answer);
    expect(message.transactionId).toEqual(transactionId);
    const value = message.attributes.find((a) => a.type === STUN_ATTR_XOR_MAPPED_ADDRESS)?.value;
    expect(value && decodeXorMappedAddress(value, transactionId)).toEqual({
      family: 'IPv4',
      address: '127.0.0.1',
      port: client.address().port,
    });
    expect(responder.dropped()).toEqual(['not a STUN message: 5 bytes is too short']);
    expect(responder.answered()).toBe(1);
  });
});

it('every line examples/lesson-stun.ts prints is on lessons/nat-traversal.md (but this run’s ports and id)', {
  timeout: RUN_MS + 10_000,
}, async () => {
  const program = spawnSource(PACKAGE_DIR, 'examples/lesson-stun.ts');
  const { code } = await withTimeout(program.exited, 'examples/lesson-stun.ts to finish', RUN_MS);
  const out = code === 0 ? program.stdout() : program.output();
  expect(code, out).toBe(0);
  const page = readFileSync(new URL('lessons/nat-traversal.md', PACKAGE_DIR), 'utf8');
  const lines = out.split('\n').filter((line) => line.trim() !== '');
  expect(lines.length).toBe(17);
  // This run's ports (5 digits at most) and transaction id (24 hex digits) differ from the page's.
  const fixed = lines.filter((line) => !/127\.0\.0\.1:\d|= \d+$|[0-9a-f]{24}/.test(line));
  expect(fixed.length).toBe(11);
  expect(fixed.filter((line) => !page.includes(line))).toEqual([]);
});
