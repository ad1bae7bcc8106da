// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stub; your code will use every parameter
import { InvalidTransitionError } from '../../src/errors.ts';
import type { TcpAction, TcpState } from '../../src/tcp/state.ts';

// Given, complete: the eleven states, the actions, and the error to throw.
export { TCP_STATES } from '../../src/tcp/state.ts';
export type { TcpAction, TcpState };
export { InvalidTransitionError };

/**
 * The events of RFC 9293's Figure 5 that this exercise models (the README explains each one).
 * Not here: `rcv-rst` and `abort` (see "Go further").
 */
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

/** Where an event leads: the next state, and what the connection's owner must do, in order. */
export interface Transition {
  readonly state: TcpState;
  readonly actions: readonly TcpAction[];
}

/**
 * Applies one event to a connection in `state`, as RFC 9293's state diagram says.
 * Throws an {@link InvalidTransitionError} listing the allowed events when `state` does not accept `event`.
 * @example transition('SYN-SENT', 'rcv-syn-ack') // { state: 'ESTABLISHED', actions: ['snd-ack'] }
 */
export function transition(state: TcpState, event: CoreEvent): Transition {
  // TODO: write the table of Figure 5 (state → event → { state, actions }) and look the pair up;
  // for a pair that is not in it, throw new InvalidTransitionError(message, state, event, allowed).
  throw new Error('not implemented yet: read exercises/04-tcp-states/README.md');
}
