/**
 * The `nc` gateway: people on a terminal in the same rooms as the page. Other areas import this
 * area only through this file.
 */
export { type GatewayStep, type GatewayUserState, planLine } from './commands.ts';
export { startTcpGateway, type TcpGateway, type TcpGatewayOptions } from './gateway.ts';
export {
  gatewayLines,
  renderMessage,
  renderNotice,
  renderPresence,
  renderRefusal,
} from './lines.ts';
export { resolveGatewayLimits, TCP_GATEWAY_LIMITS, type TcpGatewayLimits } from './options.ts';
