/**
 * The code phrase both ends share: generated from a small word list, normalised before use, and
 * proved without being sent: the sender answers the receiver's random nonce with
 * HMAC-SHA256(code, nonce), which the receiver compares in constant time.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/** 256 short, distinct, easy-to-say words: each one carries 8 bits. */
export const CODE_WORDS: readonly string[] = `
acid acorn actor adobe agent alarm album alpha amber angle ankle apple april apron arena arrow
atlas attic audio autumn avenue bacon badge baker bamboo banjo barrel basil beach beacon berry
bison blade blaze bloom blue bonus boot brave bread brick bridge brook brush bucket
cabin cactus camel candle canoe canyon carbon cargo carrot castle cedar cello chalk cherry chess
cider cinema circle citrus clay cliff cloud clover cobalt cocoa comet coral cotton cougar coyote
crane crayon crystal cupid cycle daisy dance delta desert diesel dingo dolphin dragon
drum eagle echo eclipse elbow elder ember engine falcon fern ferry fiddle flame flint
forest fossil fox galaxy garden garlic gecko ginger glacier globe gold granite grape
gravel guitar hammer harbor hazel helmet heron hippo honey husky igloo indigo iris
island ivory jacket jaguar jasmine jelly jungle kayak kettle kiwi koala ladder lagoon lantern
laser lemon lentil lilac lime lion lizard llama lotus magnet mango maple marble meadow
melon meteor mint mirror mocha monkey moose mosaic motor mule nectar needle nickel noodle oasis
ocean olive onion opal orbit orchid otter owl oyster paddle panda panther paper parrot pasta
peach pebble pepper piano pigeon pilot planet plum polar pony poppy prism puma pumpkin quartz
quill rabbit radar radish raven reef rhino ribbon river robin rocket ruby saddle salmon sand
satin scarf shadow shark shell silver sketch sloth snow socket sonar spark spider spruce squid
stone storm sugar summit sunset swan tango teapot temple thunder tiger timber toast
tomato topaz tractor tulip tundra turtle velvet violet walnut whale willow wizard
`
  .trim()
  .split(/\s+/);

/** Words in a generated phrase: 4 × 8 = 32 bits, against a receiver that stops after a few misses. */
export const CODE_PHRASE_WORDS = 4;

/**
 * A fresh code phrase: {@link CODE_PHRASE_WORDS} words drawn with `crypto.randomInt`.
 * @example generateCodePhrase() // 'otter-granite-lime-sonar'
 */
export function generateCodePhrase(words = CODE_PHRASE_WORDS): string {
  return Array.from({ length: words }, () => CODE_WORDS[randomInt(CODE_WORDS.length)]).join('-');
}

/**
 * A phrase as both ends compare it: trimmed, lower case, runs of spaces, dashes or underscores
 * as one `-` (so `Otter Granite` and `otter-granite` are the same code).
 * @throws {RangeError} for an empty phrase or one over 200 characters.
 */
export function normalizeCodePhrase(phrase: string): string {
  const code = phrase
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '-');
  if (code === '' || code.length > 200) {
    throw new RangeError('a code phrase must have 1 to 200 characters');
  }
  return code;
}

const CONTEXT = 'socketlab-ft code v1\n';

/** The sender's proof that it knows `code`: HMAC-SHA256 over the receiver's nonce. */
export function codeProof(code: string, nonce: Buffer): Buffer {
  return createHmac('sha256', normalizeCodePhrase(code)).update(CONTEXT).update(nonce).digest();
}

/**
 * Whether `proof` proves `code` for `nonce`, compared in constant time (a proof of another
 * length is hashed first, so its length tells nothing either).
 */
export function checkCodeProof(code: string, nonce: Buffer, proof: Buffer): boolean {
  const expected = codeProof(code, nonce);
  const given = proof.length === expected.length ? proof : Buffer.alloc(expected.length);
  return timingSafeEqual(expected, given) && proof.length === expected.length;
}
