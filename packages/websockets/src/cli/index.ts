/**
 * The `socketlab-ws` command. A program, not an API: the package entry does not re-export it.
 *
 * Other areas import this area only through this file.
 */
export { runCli, type WsCliIo } from './main.ts';
