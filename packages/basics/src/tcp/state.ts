import { InvalidTransitionError, ParseError, quoteInput } from '../errors.ts';

/**
 * The eleven states of a TCP connection, in the order RFC 9293 lists them.
 * @see RFC 9293 §3.3.2 (Figure 5)
 */
export const TCP_STATES = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECEIVED',
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
] as const;

/** One of {@link TCP_STATES}. */
export type TcpState = (typeof TCP_STATES)[number];

/**
 * What can happen to a connection: user calls (`passive-open`, `active-open`, `send`, `close`,
 * `abort`), arriving segments (`rcv-…`, named by what they mean to this end: `rcv-ack-of-fin` is an
 * ACK that acknowledges our FIN) and the TIME-WAIT timer.
 * `rcv-fin-ack` is a FIN that also acknowledges our FIN (FIN-WAIT-1 → TIME-WAIT, note 2 of Figure 5).
 * @see RFC 9293 §3.3.2, §3.10
 */
export const TCP_EVENTS = [
  'passive-open',
  'active-open',
  'send',
  'close',
  'abort',
  'rcv-syn',
  'rcv-syn-ack',
  'rcv-ack-of-syn',
  'rcv-fin',
  'rcv-ack-of-fin',
  'rcv-fin-ack',
  'rcv-rst',
  'timeout-2msl',
] as const;

/** One of {@link TCP_EVENTS}. */
export type TcpEvent = (typeof TCP_EVENTS)[number];

/**
 * What the owner of a connection must do after a transition, in order: create or delete the
 * transmission control block, send a segment, (re)start the 2·MSL timer, or tell the user the
 * connection was refused or reset.
 */
export const TCP_ACTIONS = [
  'create-tcb',
  'snd-syn',
  'snd-syn-ack',
  'snd-ack',
  'snd-fin',
  'snd-rst',
  'start-2msl-timer',
  'report-refused',
  'report-reset',
  'delete-tcb',
] as const;

/** One of {@link TCP_ACTIONS}. */
export type TcpAction = (typeof TCP_ACTIONS)[number];

/** One entry of {@link TRANSITIONS}: where an event leads, what to do, and where the RFC says so. */
export interface TransitionRule {
  readonly next: TcpState;
  readonly actions: readonly TcpAction[];
  /** The part of RFC 9293 this rule comes from. */
  readonly see: string;
  /** A different outcome when SYN-RECEIVED was reached from SYN-SENT (note 1 of Figure 5). */
  readonly afterActiveOpen?: { readonly next: TcpState; readonly actions: readonly TcpAction[] };
}

const FIG = 'Figure 5';
const RST_CHECK = '§3.10.7.4 (second, check the RST bit)';
const ABORT = '§3.10.5 (ABORT call)';
const reset = { actions: ['report-reset', 'delete-tcb'], see: RST_CHECK } as const;
const abortWithRst = { next: 'CLOSED', actions: ['snd-rst', 'delete-tcb'], see: ABORT } as const;
const abortQuietly = { next: 'CLOSED', actions: ['delete-tcb'], see: ABORT } as const;

/**
 * The state machine itself, the single source of truth: `TRANSITIONS[state][event]` is the rule for
 * that pair, and a missing entry means the event is not allowed in that state. It holds the arrows
 * of Figure 5 and its notes 1 and 2, a retransmitted FIN in TIME-WAIT (§3.10.7.4: re-ACK and
 * restart the timer), RST arrival (§3.10.7.2–4) and the ABORT call (§3.10.5). Segments a real stack
 * drops or answers without changing state (old duplicates, an ACK in LISTEN, a SYN when
 * synchronized) are not modelled.
 * @see RFC 9293 §3.3.2, §3.10
 */
export const TRANSITIONS = {
  CLOSED: {
    'passive-open': { next: 'LISTEN', actions: ['create-tcb'], see: FIG },
    'active-open': { next: 'SYN-SENT', actions: ['create-tcb', 'snd-syn'], see: FIG },
  },
  LISTEN: {
    send: { next: 'SYN-SENT', actions: ['snd-syn'], see: FIG },
    close: { next: 'CLOSED', actions: ['delete-tcb'], see: FIG },
    abort: abortQuietly,
    'rcv-syn': { next: 'SYN-RECEIVED', actions: ['snd-syn-ack'], see: FIG },
    'rcv-rst': { next: 'LISTEN', actions: [], see: '§3.10.7.2 (a RST in LISTEN is ignored)' },
  },
  'SYN-SENT': {
    close: { next: 'CLOSED', actions: ['delete-tcb'], see: FIG },
    abort: abortQuietly,
    'rcv-syn': { next: 'SYN-RECEIVED', actions: ['snd-syn-ack'], see: FIG },
    'rcv-syn-ack': { next: 'ESTABLISHED', actions: ['snd-ack'], see: FIG },
    'rcv-rst': {
      next: 'CLOSED',
      actions: ['report-refused', 'delete-tcb'],
      see: '§3.10.7.3 (SYN-SENT, RST bit)',
    },
  },
  'SYN-RECEIVED': {
    close: { next: 'FIN-WAIT-1', actions: ['snd-fin'], see: FIG },
    abort: abortWithRst,
    'rcv-ack-of-syn': { next: 'ESTABLISHED', actions: [], see: FIG },
    'rcv-rst': {
      next: 'LISTEN',
      actions: [],
      see: `${FIG} note 1, ${RST_CHECK}`,
      afterActiveOpen: { next: 'CLOSED', actions: ['report-refused', 'delete-tcb'] },
    },
  },
  ESTABLISHED: {
    close: { next: 'FIN-WAIT-1', actions: ['snd-fin'], see: FIG },
    abort: abortWithRst,
    'rcv-fin': { next: 'CLOSE-WAIT', actions: ['snd-ack'], see: FIG },
    'rcv-rst': { next: 'CLOSED', ...reset },
  },
  'FIN-WAIT-1': {
    abort: abortWithRst,
    'rcv-fin': { next: 'CLOSING', actions: ['snd-ack'], see: FIG },
    'rcv-ack-of-fin': { next: 'FIN-WAIT-2', actions: [], see: FIG },
    'rcv-fin-ack': {
      next: 'TIME-WAIT',
      actions: ['snd-ack', 'start-2msl-timer'],
      see: `${FIG} note 2`,
    },
    'rcv-rst': { next: 'CLOSED', ...reset },
  },
  'FIN-WAIT-2': {
    abort: abortWithRst,
    'rcv-fin': { next: 'TIME-WAIT', actions: ['snd-ack', 'start-2msl-timer'], see: FIG },
    'rcv-rst': { next: 'CLOSED', ...reset },
  },
  'CLOSE-WAIT': {
    close: { next: 'LAST-ACK', actions: ['snd-fin'], see: FIG },
    abort: abortWithRst,
    'rcv-rst': { next: 'CLOSED', ...reset },
  },
  CLOSING: {
    abort: abortQuietly,
    'rcv-ack-of-fin': { next: 'TIME-WAIT', actions: ['start-2msl-timer'], see: FIG },
    'rcv-rst': { next: 'CLOSED', actions: ['delete-tcb'], see: RST_CHECK },
  },
  'LAST-ACK': {
    abort: abortQuietly,
    'rcv-ack-of-fin': { next: 'CLOSED', actions: ['delete-tcb'], see: FIG },
    'rcv-rst': { next: 'CLOSED', actions: ['delete-tcb'], see: RST_CHECK },
  },
  'TIME-WAIT': {
    abort: abortQuietly,
    'rcv-fin': {
      next: 'TIME-WAIT',
      actions: ['snd-ack', 'start-2msl-timer'],
      see: '§3.10.7.4 (eighth, check the FIN bit: restart the 2 MSL time-wait timeout)',
    },
    'rcv-rst': { next: 'CLOSED', actions: ['delete-tcb'], see: RST_CHECK },
    'timeout-2msl': { next: 'CLOSED', actions: ['delete-tcb'], see: FIG },
  },
} as const satisfies Record<TcpState, Partial<Record<TcpEvent, TransitionRule>>>;

/** The outcome of one event: the state the connection is in now, and what its owner must do. */
export interface TcpTransition {
  readonly state: TcpState;
  readonly actions: readonly TcpAction[];
}

/** Options of {@link transition}. */
export interface TransitionOptions {
  /**
   * How the connection reached SYN-RECEIVED, which decides where a RST sends it (note 1 of
   * Figure 5): back to LISTEN after a passive open, to CLOSED after an active (simultaneous) open.
   * @default 'passive'
   */
  readonly openedBy?: 'passive' | 'active';
}

/**
 * True when `value` is one of {@link TCP_STATES}.
 * @param value - anything
 * @example
 * isTcpState('TIME-WAIT'); // true
 * isTcpState('TIME_WAIT'); // false (that is netstat's spelling)
 */
export function isTcpState(value: unknown): value is TcpState {
  return typeof value === 'string' && (TCP_STATES as readonly string[]).includes(value);
}

/**
 * True when `value` is one of {@link TCP_EVENTS}.
 * @param value - anything
 * @example
 * isTcpEvent('rcv-fin'); // true
 */
export function isTcpEvent(value: unknown): value is TcpEvent {
  return typeof value === 'string' && (TCP_EVENTS as readonly string[]).includes(value);
}

/** Untrusted input for a message: strings quoted and cut, anything else by its type. */
function shown(value: unknown): string {
  return typeof value === 'string' ? quoteInput(value) : `a ${typeof value}`;
}

function rulesOf(state: unknown, event: unknown): Partial<Record<TcpEvent, TransitionRule>> {
  if (!isTcpState(state)) {
    throw new InvalidTransitionError(
      `unknown TCP state ${shown(state)}: expected one of ${TCP_STATES.join(', ')}`,
      state,
      event,
      [],
    );
  }
  return TRANSITIONS[state];
}

/**
 * The events `state` accepts, in {@link TCP_EVENTS} order.
 * @param state - a TCP state
 * @throws {InvalidTransitionError} `BASICS_ERR_INVALID_TRANSITION` when `state` is not a TCP state.
 * @example
 * allowedEvents('LISTEN'); // ['send', 'close', 'abort', 'rcv-syn', 'rcv-rst']
 */
export function allowedEvents(state: TcpState): TcpEvent[] {
  const rules = rulesOf(state, undefined);
  return TCP_EVENTS.filter((event) => Object.hasOwn(rules, event));
}

/**
 * Applies one event to a connection in `state`, the way RFC 9293 says, without side effects.
 * @param state - the state the connection is in
 * @param event - what happened (a user call, an arriving segment or the 2·MSL timer)
 * @param options - see {@link TransitionOptions}
 * @returns the next state and the actions its owner must take, in order
 * @throws {InvalidTransitionError} `BASICS_ERR_INVALID_TRANSITION` when `state` does not accept
 *   `event` (the message lists the events it does accept), or either is unknown.
 * @throws {TypeError} when `options.openedBy` is neither `'passive'` nor `'active'`.
 * @see RFC 9293 §3.3.2
 * @example
 * transition('SYN-SENT', 'rcv-syn-ack'); // { state: 'ESTABLISHED', actions: ['snd-ack'] }
 * transition('LISTEN', 'rcv-fin'); // throws: allowed in LISTEN: send, close, abort, rcv-syn, rcv-rst
 */
export function transition(
  state: TcpState,
  event: TcpEvent,
  options: TransitionOptions = {},
): TcpTransition {
  const { openedBy = 'passive' } = options;
  if (openedBy !== 'passive' && openedBy !== 'active') {
    throw new TypeError(`openedBy must be 'passive' or 'active', got ${shown(openedBy)}`);
  }
  const rules = rulesOf(state, event);
  const rule = isTcpEvent(event) && Object.hasOwn(rules, event) ? rules[event] : undefined;
  if (rule === undefined) {
    const allowed = allowedEvents(state);
    const what = isTcpEvent(event) ? `event ${event}` : `unknown event ${shown(event)}`;
    throw new InvalidTransitionError(
      `TCP in state ${state} cannot take ${what}; allowed in ${state}: ${allowed.join(', ')}`,
      state,
      event,
      allowed,
    );
  }
  const outcome = openedBy === 'active' && rule.afterActiveOpen ? rule.afterActiveOpen : rule;
  return { state: outcome.next, actions: [...outcome.actions] };
}

const DESCRIPTIONS: Record<TcpState, string> = {
  CLOSED: 'No connection exists: there is no TCB, and nobody is waiting for anything.',
  LISTEN: 'The server waits for a connection request (a SYN) from any remote TCP.',
  'SYN-SENT': 'This end has sent its SYN and waits for the peer to answer with a SYN,ACK.',
  'SYN-RECEIVED':
    'This end has received a SYN and answered with its own SYN,ACK; it waits for the ACK of its SYN.',
  ESTABLISHED: 'The connection is open: both ends send and receive data, and neither has closed.',
  'FIN-WAIT-1':
    'This end has closed and sent its FIN; it waits for the peer to acknowledge it or to send its own FIN.',
  'FIN-WAIT-2':
    "The peer has acknowledged this end's FIN; this end waits for the peer's FIN (the peer may still send data).",
  'CLOSE-WAIT':
    "The peer has closed (its FIN arrived and was acknowledged); TCP waits for this end's application to close.",
  CLOSING: 'Both ends sent a FIN at the same time; this end waits for the ACK of its own FIN.',
  'LAST-ACK': 'The peer closed first and this end has now sent its FIN; it waits for the last ACK.',
  'TIME-WAIT':
    'Both FINs are acknowledged; this end waits 2·MSL so it can re-send its last ACK and old duplicates die out (Linux waits 60 s).',
};

/**
 * One sentence on what a state means: who is waiting for what.
 * @param state - a TCP state
 * @throws {InvalidTransitionError} `BASICS_ERR_INVALID_TRANSITION` when `state` is not a TCP state.
 * @example
 * describeState('CLOSE-WAIT'); // "The peer has closed (its FIN arrived and was acknowledged); …"
 */
export function describeState(state: TcpState): string {
  rulesOf(state, undefined);
  return DESCRIPTIONS[state];
}

/** One step of a {@link TcpTrace}. */
export interface TcpTraceStep {
  readonly from: TcpState;
  readonly event: TcpEvent;
  readonly to: TcpState;
  readonly actions: readonly TcpAction[];
}

/** What {@link runScenario} returns: every step, and the state the connection ended in. */
export interface TcpTrace {
  readonly start: TcpState;
  readonly end: TcpState;
  readonly steps: readonly TcpTraceStep[];
}

/**
 * Runs a sequence of events from `start`, remembering how SYN-RECEIVED was reached (so a RST there
 * goes where note 1 of Figure 5 says), and returns the trace.
 * @param events - the events, in order
 * @param start - the state to start in
 * @default start 'CLOSED'
 * @param options - how a connection that starts in SYN-RECEIVED was opened
 * @throws {TypeError} when `events` is not an array.
 * @throws {InvalidTransitionError} `BASICS_ERR_INVALID_TRANSITION` at the first event that is not
 *   allowed; the message names the step, and `cause` is the error {@link transition} threw.
 * @example
 * runScenario(['active-open', 'rcv-syn-ack']).end; // 'ESTABLISHED'
 */
export function runScenario(
  events: readonly TcpEvent[],
  start: TcpState = 'CLOSED',
  options: TransitionOptions = {},
): TcpTrace {
  if (!Array.isArray(events)) {
    throw new TypeError(`runScenario expects an array of events, got ${shown(events)}`);
  }
  rulesOf(start, undefined);
  let state: TcpState = start;
  let openedBy = start === 'SYN-SENT' ? 'active' : (options.openedBy ?? 'passive');
  const steps: TcpTraceStep[] = [];
  for (const [index, event] of events.entries()) {
    let next: TcpTransition;
    try {
      next = transition(state, event, { openedBy });
    } catch (err) {
      const failed = err as InvalidTransitionError;
      throw new InvalidTransitionError(
        `step ${index + 1} of ${events.length}: ${failed.message}`,
        state,
        event,
        failed.allowed,
        { cause: err },
      );
    }
    steps.push({ from: state, event, to: next.state, actions: next.actions });
    state = next.state;
    if (state === 'LISTEN') openedBy = 'passive';
    if (state === 'SYN-SENT') openedBy = 'active';
  }
  return { start, end: state, steps };
}

/** A named sequence of events with the states it must pass through. */
export interface TcpScenario {
  readonly name: string;
  readonly summary: string;
  readonly start: TcpState;
  readonly events: readonly TcpEvent[];
  /** Every state visited, `start` first: one more entry than `events`. */
  readonly states: readonly TcpState[];
}

/** A client opens (three-way handshake) and closes first (four-way close), ending in TIME-WAIT, then CLOSED. */
export const ACTIVE_OPEN_AND_CLOSE: TcpScenario = {
  name: 'active open and close',
  summary: 'the client: connect, then close first; it is the end that waits in TIME-WAIT',
  start: 'CLOSED',
  events: ['active-open', 'rcv-syn-ack', 'close', 'rcv-ack-of-fin', 'rcv-fin', 'timeout-2msl'],
  states: ['CLOSED', 'SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED'],
};

/** A server accepts a connection and the peer closes first: CLOSE-WAIT, then LAST-ACK. */
export const PASSIVE_OPEN_AND_CLOSE: TcpScenario = {
  name: 'passive open and close',
  summary: 'the server: listen, accept, and close after the peer did; no TIME-WAIT on this end',
  start: 'CLOSED',
  events: ['passive-open', 'rcv-syn', 'rcv-ack-of-syn', 'rcv-fin', 'close', 'rcv-ack-of-fin'],
  states: ['CLOSED', 'LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED'],
};

/** Both ends send a SYN at once: each sees the other's SYN in SYN-SENT (RFC 9293 Figure 7). */
export const SIMULTANEOUS_OPEN: TcpScenario = {
  name: 'simultaneous open',
  summary: "both ends connect at once; the peer's SYN,ACK acknowledges our SYN",
  start: 'CLOSED',
  events: ['active-open', 'rcv-syn', 'rcv-ack-of-syn'],
  states: ['CLOSED', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED'],
};

/** Both ends close at once: each sees the other's FIN in FIN-WAIT-1 (RFC 9293 Figure 13). */
export const SIMULTANEOUS_CLOSE: TcpScenario = {
  name: 'simultaneous close',
  summary: 'both ends close at once: CLOSING, and both wait in TIME-WAIT',
  start: 'ESTABLISHED',
  events: ['close', 'rcv-fin', 'rcv-ack-of-fin', 'timeout-2msl'],
  states: ['ESTABLISHED', 'FIN-WAIT-1', 'CLOSING', 'TIME-WAIT', 'CLOSED'],
};

/**
 * Linux's state numbers (`include/net/tcp_states.h`), keyed by the two hex digits `/proc/net/tcp`
 * prints in its `st` column, mapped to RFC names. `0C` (`TCP_NEW_SYN_RECV`, a half-open request)
 * is SYN-RECEIVED; `0D` (`TCP_BOUND_INACTIVE`, bound but neither listening nor connected) is CLOSED.
 */
export const LINUX_TCP_STATES = {
  '01': 'ESTABLISHED',
  '02': 'SYN-SENT',
  '03': 'SYN-RECEIVED',
  '04': 'FIN-WAIT-1',
  '05': 'FIN-WAIT-2',
  '06': 'TIME-WAIT',
  '07': 'CLOSED',
  '08': 'CLOSE-WAIT',
  '09': 'LAST-ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'SYN-RECEIVED',
  '0D': 'CLOSED',
} as const satisfies Record<string, TcpState>;

/**
 * The RFC name of a Linux TCP state number, as found in the `st` column of `/proc/net/tcp`.
 * @param hex - the number as hex text (`'0A'`, `'a'`) or as a number (`10`)
 * @throws {ParseError} `BASICS_ERR_PARSE` for text that is not one or two hex digits, or a number
 *   Linux does not use.
 * @example
 * linuxStateName('0A'); // 'LISTEN'
 * linuxStateName(6); // 'TIME-WAIT'
 */
export function linuxStateName(hex: string | number): TcpState {
  let key: string;
  if (typeof hex === 'number' && Number.isInteger(hex) && hex >= 0 && hex <= 0xff) {
    key = hex.toString(16);
  } else if (typeof hex === 'string' && /^[0-9a-fA-F]{1,2}$/.test(hex)) {
    key = hex;
  } else {
    throw new ParseError(
      `expected a Linux TCP state as one or two hex digits (like "0A"), got ${shown(hex)}`,
      hex,
    );
  }
  key = key.toUpperCase().padStart(2, '0');
  if (!Object.hasOwn(LINUX_TCP_STATES, key)) {
    throw new ParseError(
      `${quoteInput(hex)} is not a Linux TCP state: expected 01 to 0D (include/net/tcp_states.h)`,
      hex,
    );
  }
  return LINUX_TCP_STATES[key as keyof typeof LINUX_TCP_STATES];
}
