/**
 * Impaired links (T10): a seeded PRNG, pure per-packet decisions, a UDP link and a TCP proxy that misbehave on purpose.
 *
 * Other areas import this area only through this file. It exports what the package entry
 * makes public and what sibling areas need; `src/index.ts` chooses the public names.
 */
export {
  decideImpairment,
  IMPAIRMENT_DEFAULTS,
  type ImpairmentDecision,
  type ImpairmentOptions,
  type ImpairmentSettings,
  resolveImpairmentOptions,
} from './impairment.ts';
export {
  createSeededRandom,
  randomSeed,
  type SeededRandom,
} from './prng.ts';
export {
  type ImpairedTcpProxy,
  type ImpairedTcpProxyOptions,
  type ImpairedTcpProxyStats,
  listenImpairedTcpProxy,
  type TcpImpairmentOptions,
} from './tcp-proxy.ts';
export {
  type ImpairedDirection,
  type ImpairedDirectionStats,
  type ImpairedEndpoint,
  type ImpairedUdpLink,
  type ImpairedUdpLinkOptions,
  type ImpairedUdpLinkStats,
  listenImpairedUdpLink,
} from './udp-link.ts';
