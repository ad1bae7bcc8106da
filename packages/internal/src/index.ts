export { errorCode } from './error-code.ts';
export { checkInteger, checkNumber } from './options.ts';
export { quoteInput } from './quote.ts';
