/**
 * `@socketlab/multiplexing`, stage 3 of socketlab: many connections at once, kept healthy and
 * measured. The public API, chosen by name; `api-surface.txt` lists it and a test compares.
 */
export {
  MULTIPLEXING_ERROR_CODES,
  MultiplexingError,
  type MultiplexingErrorCode,
} from './errors.ts';
