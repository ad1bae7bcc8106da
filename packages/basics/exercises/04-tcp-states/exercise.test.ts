import { lessonOf, loadExercise, thrownBy } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { TCP_EVENTS, TCP_STATES } from '../../src/tcp/state.ts';

type Exercise = typeof import('./exercise.ts');
const { transition } = await loadExercise<Exercise>(import.meta.url);

type State = Parameters<Exercise['transition']>[0];
type Event = Parameters<Exercise['transition']>[1];

// The names come from the library (tested on their own); what this spec checks is the table below.
const STATES: readonly State[] = TCP_STATES;
/** The events this exercise models: the library's, less `abort` and `rcv-rst` (the "Go further"). */
const EVENTS = TCP_EVENTS.filter((e): e is Event => e !== 'abort' && e !== 'rcv-rst');

/** RFC 9293 Figure 5 (plus note 2, and a FIN retransmitted into TIME-WAIT): state, event, next, actions. */
const FIGURE_5 = `
CLOSED        passive-open    LISTEN        create-tcb
CLOSED        active-open     SYN-SENT      create-tcb snd-syn
LISTEN        rcv-syn         SYN-RECEIVED  snd-syn-ack
LISTEN        send            SYN-SENT      snd-syn
LISTEN        close           CLOSED        delete-tcb
SYN-SENT      rcv-syn         SYN-RECEIVED  snd-syn-ack
SYN-SENT      rcv-syn-ack     ESTABLISHED   snd-ack
SYN-SENT      close           CLOSED        delete-tcb
SYN-RECEIVED  rcv-ack-of-syn  ESTABLISHED
SYN-RECEIVED  close           FIN-WAIT-1    snd-fin
ESTABLISHED   close           FIN-WAIT-1    snd-fin
ESTABLISHED   rcv-fin         CLOSE-WAIT    snd-ack
FIN-WAIT-1    rcv-ack-of-fin  FIN-WAIT-2
FIN-WAIT-1    rcv-fin         CLOSING       snd-ack
FIN-WAIT-1    rcv-fin-ack     TIME-WAIT     snd-ack start-2msl-timer
FIN-WAIT-2    rcv-fin         TIME-WAIT     snd-ack start-2msl-timer
CLOSE-WAIT    close           LAST-ACK      snd-fin
CLOSING       rcv-ack-of-fin  TIME-WAIT     start-2msl-timer
LAST-ACK      rcv-ack-of-fin  CLOSED        delete-tcb
TIME-WAIT     rcv-fin         TIME-WAIT     snd-ack start-2msl-timer
TIME-WAIT     timeout-2msl    CLOSED        delete-tcb
`;

const table = new Map<string, { next: string; actions: string[] }>();
for (const line of FIGURE_5.trim().split('\n')) {
  const [state, event, next = '', ...actions] = line.trim().split(/\s+/);
  table.set(`${state} ${event}`, { next, actions });
}
const pairs = STATES.flatMap((state) => EVENTS.map((event) => ({ state, event })));
const lesson = lessonOf(import.meta.url);
const OPENING: readonly string[] = ['CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED'];
/** The section of the lesson that explains the arrows leaving `state`. */
const sectionOf = (state: State): string =>
  OPENING.includes(state)
    ? lesson.see('Opening: the three-way handshake')
    : state === 'TIME-WAIT'
      ? lesson.see('Why TIME-WAIT lasts')
      : lesson.see('Closing: the four-way close');
const allowedIn = (state: State): Event[] => EVENTS.filter((e) => table.has(`${state} ${e}`));

describe('transition: every arrow of the diagram', () => {
  it.each(pairs.filter(({ state, event }) => table.has(`${state} ${event}`)))(
    'in $state, $event leads where Figure 5 says',
    ({ state, event }) => {
      const want = table.get(`${state} ${event}`);
      let got: ReturnType<typeof transition>;
      try {
        got = transition(state, event);
      } catch (error) {
        throw new Error(
          `transition('${state}', '${event}') threw (${(error as Error).message}), but Figure 5 has this arrow: ${state} → ${want?.next}. ${sectionOf(state)}`,
        );
      }
      expect(got.state, `the next state after ${event} in ${state}. ${sectionOf(state)}`).toBe(
        want?.next,
      );
      expect(
        [...got.actions],
        `the actions (in order) for ${event} in ${state}. ${sectionOf(state)}`,
      ).toEqual(want?.actions);
    },
  );
});

describe('transition: every event a state does not accept', () => {
  it.each(pairs.filter(({ state, event }) => !table.has(`${state} ${event}`)))(
    'in $state, $event throws an InvalidTransitionError',
    ({ state, event }) => {
      const err = thrownBy(
        () => transition(state, event),
        `transition('${state}', '${event}')`,
        `${state} does not accept ${event}. ${sectionOf(state)}`,
      );
      expect(
        err.code,
        `the error code (use InvalidTransitionError). ${lesson.see('Your task')}`,
      ).toBe('BASICS_ERR_INVALID_TRANSITION');
      expect(err.message, `the message names the state. ${lesson.see('Your task')}`).toContain(
        state,
      );
      for (const allowed of allowedIn(state)) {
        expect(
          err.message,
          `the message lists ${allowed}, which ${state} accepts. ${lesson.see('Your task')}`,
        ).toContain(allowed);
      }
      expect(err.allowed, 'the error carries the allowed events').toEqual(
        expect.arrayContaining(allowedIn(state)),
      );
    },
  );
});

describe('whole conversations', () => {
  const run = (start: State, events: Event[]): State[] => {
    const states: State[] = [start];
    let state = start;
    for (const event of events) {
      state = transition(state, event).state;
      states.push(state);
    }
    return states;
  };

  it('opens actively and closes first (the client): ends in TIME-WAIT, then CLOSED', () => {
    expect(
      run('CLOSED', [
        'active-open',
        'rcv-syn-ack',
        'close',
        'rcv-ack-of-fin',
        'rcv-fin',
        'timeout-2msl',
      ]),
      'the states of the three-way handshake and the four-way close',
    ).toEqual([
      'CLOSED',
      'SYN-SENT',
      'ESTABLISHED',
      'FIN-WAIT-1',
      'FIN-WAIT-2',
      'TIME-WAIT',
      'CLOSED',
    ]);
  });

  it('opens passively and closes second (the server): CLOSE-WAIT, LAST-ACK, no TIME-WAIT', () => {
    expect(
      run('CLOSED', [
        'passive-open',
        'rcv-syn',
        'rcv-ack-of-syn',
        'rcv-fin',
        'close',
        'rcv-ack-of-fin',
      ]),
      'the server side of the same conversation',
    ).toEqual([
      'CLOSED',
      'LISTEN',
      'SYN-RECEIVED',
      'ESTABLISHED',
      'CLOSE-WAIT',
      'LAST-ACK',
      'CLOSED',
    ]);
  });

  it('opens simultaneously: SYN-SENT, then SYN-RECEIVED', () => {
    expect(
      run('CLOSED', ['active-open', 'rcv-syn', 'rcv-ack-of-syn']),
      "the states of an end whose SYN crossed the peer's SYN",
    ).toEqual(['CLOSED', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']);
  });

  it('closes simultaneously: CLOSING, then TIME-WAIT on both ends', () => {
    expect(
      run('ESTABLISHED', ['close', 'rcv-fin', 'rcv-ack-of-fin', 'timeout-2msl']),
      "the states of an end whose FIN crossed the peer's FIN",
    ).toEqual(['ESTABLISHED', 'FIN-WAIT-1', 'CLOSING', 'TIME-WAIT', 'CLOSED']);
  });

  it('stays in TIME-WAIT when the peer retransmits its FIN, and ACKs it again', () => {
    expect(transition('TIME-WAIT', 'rcv-fin'), 'a retransmitted FIN in TIME-WAIT').toEqual({
      state: 'TIME-WAIT',
      actions: ['snd-ack', 'start-2msl-timer'],
    });
  });

  it('refuses event names that are not events, even ones every object has', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const err = thrownBy(
        () => transition('ESTABLISHED', name as Event),
        `transition('ESTABLISHED', '${name}')`,
        `'${name}' is not an event, though every object has it: look events up with Object.hasOwn. ${lesson.see('Your task')}`,
      );
      expect(err.code, `the error code for '${name}'`).toBe('BASICS_ERR_INVALID_TRANSITION');
    }
  });
});
