/**
 * Conformance, close handling (RFC 6455 §5.5.1, §7.1, §7.4; Autobahn category 7): a close is
 * answered with a close (the same code, or an empty one for an empty one) and the server then
 * closes TCP; a code that may not be sent, a 1-byte payload or an oversized or fragmented close
 * fails with 1002, a reason that is not UTF-8 with 1007; nothing after a close is answered.
 * The cases live in close-cases.ts, which exercise 05 shares (the cases about the closing
 * handshake itself, run against a server whose closing is the learner's).
 */
import { describe, it } from 'vitest';
import { CLOSE_CASES } from './close-cases.ts';
import { echoCategory } from './raw-peer.ts';

describe('conformance: close handling', () => {
  const category = echoCategory();

  for (const { name, run } of CLOSE_CASES) {
    it(name, async () => {
      await run(await category.connect());
    });
  }

  category.itKeepsServingOthers();
});
