export {
  type CliCommand,
  type CliIo,
  CliUsageError,
  EXIT_USAGE,
  parseIntegerOption,
  runCliProcess,
  runCommandLine,
} from './cli.ts';
export { errorCode } from './error-code.ts';
export { checkInteger, checkNumber, TIMER_MAX_MS } from './options.ts';
export { quoteInput } from './quote.ts';
