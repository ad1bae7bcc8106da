/**
 * The app's own failures, each with a stable code (listed in the README). Failures of the
 * transfer itself keep stage 2's errors (`TCPUDP_ERR_*`).
 */

/** Every code an {@link FtError} carries. */
export const FT_ERROR_CODES = [
  'FT_ERR_WRONG_CODE',
  'FT_ERR_HANDSHAKE',
  'FT_ERR_TIMEOUT',
  'FT_ERR_UNSAFE_NAME',
  'FT_ERR_FINGERPRINT',
  'FT_ERR_CONNECTION',
  'FT_ERR_SOURCE',
] as const;

/** One of {@link FT_ERROR_CODES}. */
export type FtErrorCode = (typeof FT_ERROR_CODES)[number];

/** A failure of the file-transfer app: a wrong code, a bad handshake, an unsafe name … */
export class FtError extends Error {
  override name = 'FtError';
  constructor(
    readonly code: FtErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
