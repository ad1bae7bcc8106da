/**
 * Lines out of a byte stream: the one line decoder every line protocol of the course builds on
 * (`decoder.ts`, with the rule for `\r` and the limit), and the splitters stage 1's echo uses.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export {
  createLineDecoder,
  type LineDecoder,
  type LineDecoderOptions,
} from './decoder.ts';
export {
  cutCompleteLines,
  type SplitLinesResult,
  splitLines,
} from './splitter.ts';
