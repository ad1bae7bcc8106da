/**
 * Lines out of a byte stream: the splitter every line protocol of the course builds on.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export {
  cutCompleteLines,
  type SplitLinesResult,
  splitLines,
} from './splitter.ts';
