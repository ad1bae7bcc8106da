/**
 * WebSocket extensions (W2): permessage-deflate (RFC 7692), its negotiation, pure, and its
 * per-connection compression context over node:zlib.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export { DeflateContext } from './deflate-context.ts';
export {
  acceptDeflateOffer,
  checkDeflateResponse,
  DEFAULT_DEFLATE_THRESHOLD,
  type DeflateAcceptance,
  type DeflateAgreement,
  deflateOffer,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
  type ResolvedDeflateOptions,
  resolveDeflateOptions,
} from './permessage-deflate.ts';
