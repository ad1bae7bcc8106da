/**
 * Checking what a broker hands over before anything is done with it: a NATS payload is bytes from
 * whoever could publish on the subject, so it is decoded with bounds (size first, then strict
 * UTF-8, then JSON, then depth and size of the value with stage 4's `checkPayload`, which walks
 * without recursion) before it may reach a Socket.IO emit (TOOLCHAIN pitfall 12).
 * @see https://docs.nats.io/nats-concepts/subjects (subject names and wildcards)
 */
import { checkPayload, type PayloadLimits } from '@socketlab/websockets/realtime';
import { DistributedError, quoteInput } from '../errors.ts';

/** The largest NATS payload decoded by default, in bytes: 16 KiB, as stage 4's event bound. */
export const DEFAULT_MAX_NATS_PAYLOAD_BYTES = 16 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a broker payload as JSON, bounded: at most `maxBytes` bytes (checked before decoding),
 * strict UTF-8, valid JSON, and a value within `maxDepth` levels and `maxBytes` as counted by
 * `checkPayload`.
 * @throws {DistributedError} `DISTRIBUTED_ERR_PAYLOAD`, saying which check failed (with `cause`).
 * @example decodeBrokerJson(new TextEncoder().encode('{"price":42}')); // { price: 42 }
 */
export function decodeBrokerJson(bytes: Uint8Array, limits: PayloadLimits = {}): unknown {
  const { maxDepth = 16, maxBytes = DEFAULT_MAX_NATS_PAYLOAD_BYTES } = limits;
  if (bytes.byteLength > maxBytes) {
    throw new DistributedError(
      'DISTRIBUTED_ERR_PAYLOAD',
      `a broker payload of ${bytes.byteLength} bytes is over the ${maxBytes}-byte bound`,
    );
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (cause) {
    throw new DistributedError('DISTRIBUTED_ERR_PAYLOAD', 'a broker payload is not UTF-8', {
      cause,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DistributedError(
      'DISTRIBUTED_ERR_PAYLOAD',
      `a broker payload is not JSON: ${quoteInput(text)}`,
      { cause },
    );
  }
  try {
    checkPayload(value, { maxDepth, maxBytes });
  } catch (cause) {
    throw new DistributedError(
      'DISTRIBUTED_ERR_PAYLOAD',
      `a broker payload was refused: ${(cause as Error).message}`,
      { cause },
    );
  }
  return value;
}

const TOKEN = /^[^\s.*>]+$/;

/**
 * Whether `subject` is a NATS subject one may publish on: 1 to 256 characters, tokens separated
 * by `.`, none empty, no whitespace, no wildcard (`*`, `>`).
 * @example isPublishSubject('prices.eu.acme'); // true; 'prices.*' and 'a..b' are false
 */
export function isPublishSubject(subject: unknown): subject is string {
  return (
    typeof subject === 'string' &&
    subject.length > 0 &&
    subject.length <= 256 &&
    subject.split('.').every((token) => TOKEN.test(token))
  );
}

/**
 * Whether `subject` matches the subscription `pattern` as NATS matches them: `*` stands for
 * exactly one token, `>` (last token only) for one or more.
 * @example subjectMatches('prices.>', 'prices.eu.acme'); // true
 * @example subjectMatches('prices.*', 'prices.eu.acme'); // false
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return i === want.length - 1 && have.length > i;
    if (i >= have.length) return false;
    if (want[i] !== '*' && want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}
