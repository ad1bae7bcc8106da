// The reference answer: the library's own state machine (src/tcp/state.ts), which also handles
// `rcv-rst` and `abort`, the "Go further" of this exercise.

// Given by the exercise, unchanged.
export { CORE_EVENTS, type CoreEvent } from '../../exercises/04-tcp-states/exercise.ts';
export { InvalidTransitionError } from '../../src/errors.ts';
export {
  TCP_STATES,
  type TcpAction,
  type TcpState,
  type TcpTransition as Transition,
  transition,
} from '../../src/tcp/state.ts';
