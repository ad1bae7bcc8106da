/**
 * The `socketlab-tcp` command. A program, not an API: the package entry does not re-export it.
 *
 * Other areas import this area only through this file. It exports what the package entry
 * makes public and what sibling areas need; `src/index.ts` chooses the public names.
 */
export { runCli } from './main.ts';
