// The reference answer: the library's own state machine (src/tcp/state.ts), which also handles
// `rcv-rst` and `abort`, the "Go further" of this exercise.
export { InvalidTransitionError } from '../../src/errors.ts';
export {
  TCP_STATES,
  type TcpAction,
  type TcpState,
  type TcpTransition as Transition,
  transition,
} from '../../src/tcp/state.ts';

/** The events of RFC 9293's Figure 5 that the exercise models. */
export const CORE_EVENTS = [
  'passive-open',
  'active-open',
  'send',
  'close',
  'rcv-syn',
  'rcv-syn-ack',
  'rcv-ack-of-syn',
  'rcv-fin',
  'rcv-ack-of-fin',
  'rcv-fin-ack',
  'timeout-2msl',
] as const;

/** One of {@link CORE_EVENTS}. */
export type CoreEvent = (typeof CORE_EVENTS)[number];
