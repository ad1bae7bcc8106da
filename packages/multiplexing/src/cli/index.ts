/**
 * The `socketlab-mux` command. A program, not an API: the package entry does not re-export it.
 *
 * Other areas import this area only through this file.
 */
export { runCli } from './main.ts';
