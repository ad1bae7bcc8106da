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
export { PAGE_CONTENT_SECURITY_POLICY } from './page-policy.ts';
export { quoteInput } from './quote.ts';
