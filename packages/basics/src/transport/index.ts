/**
 * TCP against UDP (B6, B7): message boundaries measured, socket types explained, the largest datagram probed.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export {
  analyzeDatagrams,
  analyzeStream,
  checkDatagramSize,
  type DatagramAnalysis,
  type DatagramSizeCheck,
  type StreamAnalysis,
  UDP_LIMITS,
  type UdpFamily,
} from './analysis.ts';
export {
  COMPARE_MAX_MESSAGES,
  COMPARE_MAX_TOTAL_BYTES,
  type CompareBoundariesOptions,
  compareBoundaries,
  type DatagramSizeProbe,
  probeDatagramSize,
} from './compare.ts';
export {
  type BoundaryComparison,
  type DatagramReport,
  formatBoundaryComparison,
  type StreamReport,
  type TransportHost,
} from './report.ts';
export {
  describeSocketType,
  parseSocketType,
  SOCKET_TYPES,
  type SocketTypeInfo,
  type SocketTypeName,
} from './socket-types.ts';
