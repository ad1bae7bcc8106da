/**
 * The TCP state machine of RFC 9293 (B5): states, events, every transition, and scenarios to replay.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export {
  ACTIVE_OPEN_AND_CLOSE,
  allowedEvents,
  describeState,
  isTcpEvent,
  isTcpState,
  LINUX_TCP_STATES,
  linuxStateName,
  PASSIVE_OPEN_AND_CLOSE,
  runScenario,
  SIMULTANEOUS_CLOSE,
  SIMULTANEOUS_OPEN,
  TCP_ACTIONS,
  TCP_EVENTS,
  TCP_STATES,
  type TcpAction,
  type TcpEvent,
  type TcpScenario,
  type TcpState,
  type TcpTrace,
  type TcpTraceStep,
  type TcpTransition,
  TRANSITIONS,
  type TransitionOptions,
  type TransitionRule,
  transition,
} from './state.ts';
