import net from 'node:net';
import { closeServer, listenOnFreePort, nextEvent, pollUntil, thrownBy } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BasicsError, InvalidTransitionError, ParseError } from '../../src/errors.ts';
import { readSocketTable } from '../../src/socket-table/table.ts';
import {
  ACTIVE_OPEN_AND_CLOSE,
  allowedEvents,
  describeState,
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
  type TcpState,
  TRANSITIONS,
  transition,
} from '../../src/tcp/state.ts';

/**
 * RFC 9293, written out here by hand and independently of src/tcp/state.ts:
 * state, event, next state, actions. Figure 5 and its notes 1 and 2; §3.10.5 (ABORT);
 * §3.10.7.2–4 (RST arrival, and a retransmitted FIN in TIME-WAIT). Every pair not listed must throw.
 */
const RFC_9293 = `
CLOSED        passive-open    LISTEN        create-tcb
CLOSED        active-open     SYN-SENT      create-tcb snd-syn
LISTEN        rcv-syn         SYN-RECEIVED  snd-syn-ack
LISTEN        send            SYN-SENT      snd-syn
LISTEN        close           CLOSED        delete-tcb
LISTEN        abort           CLOSED        delete-tcb
LISTEN        rcv-rst         LISTEN
SYN-SENT      rcv-syn         SYN-RECEIVED  snd-syn-ack
SYN-SENT      rcv-syn-ack     ESTABLISHED   snd-ack
SYN-SENT      close           CLOSED        delete-tcb
SYN-SENT      abort           CLOSED        delete-tcb
SYN-SENT      rcv-rst         CLOSED        report-refused delete-tcb
SYN-RECEIVED  rcv-ack-of-syn  ESTABLISHED
SYN-RECEIVED  close           FIN-WAIT-1    snd-fin
SYN-RECEIVED  rcv-rst         LISTEN
SYN-RECEIVED  abort           CLOSED        snd-rst delete-tcb
ESTABLISHED   close           FIN-WAIT-1    snd-fin
ESTABLISHED   rcv-fin         CLOSE-WAIT    snd-ack
ESTABLISHED   rcv-rst         CLOSED        report-reset delete-tcb
ESTABLISHED   abort           CLOSED        snd-rst delete-tcb
FIN-WAIT-1    rcv-ack-of-fin  FIN-WAIT-2
FIN-WAIT-1    rcv-fin         CLOSING       snd-ack
FIN-WAIT-1    rcv-fin-ack     TIME-WAIT     snd-ack start-2msl-timer
FIN-WAIT-1    rcv-rst         CLOSED        report-reset delete-tcb
FIN-WAIT-1    abort           CLOSED        snd-rst delete-tcb
FIN-WAIT-2    rcv-fin         TIME-WAIT     snd-ack start-2msl-timer
FIN-WAIT-2    rcv-rst         CLOSED        report-reset delete-tcb
FIN-WAIT-2    abort           CLOSED        snd-rst delete-tcb
CLOSE-WAIT    close           LAST-ACK      snd-fin
CLOSE-WAIT    rcv-rst         CLOSED        report-reset delete-tcb
CLOSE-WAIT    abort           CLOSED        snd-rst delete-tcb
CLOSING       rcv-ack-of-fin  TIME-WAIT     start-2msl-timer
CLOSING       rcv-rst         CLOSED        delete-tcb
CLOSING       abort           CLOSED        delete-tcb
LAST-ACK      rcv-ack-of-fin  CLOSED        delete-tcb
LAST-ACK      rcv-rst         CLOSED        delete-tcb
LAST-ACK      abort           CLOSED        delete-tcb
TIME-WAIT     timeout-2msl    CLOSED        delete-tcb
TIME-WAIT     rcv-fin         TIME-WAIT     snd-ack start-2msl-timer
TIME-WAIT     rcv-rst         CLOSED        delete-tcb
TIME-WAIT     abort           CLOSED        delete-tcb
`;

interface Expected {
  next: TcpState;
  actions: TcpAction[];
}

const expected = new Map<string, Expected>();
for (const line of RFC_9293.trim().split('\n')) {
  const [state, event, next, ...actions] = line.trim().split(/\s+/);
  expected.set(`${state} ${event}`, { next: next as TcpState, actions: actions as TcpAction[] });
}

const pairs = TCP_STATES.flatMap((state) => TCP_EVENTS.map((event) => ({ state, event })));
const allowedPairs = pairs.filter(({ state, event }) => expected.has(`${state} ${event}`));
const refusedPairs = pairs.filter(({ state, event }) => !expected.has(`${state} ${event}`));
const expectedAllowed = (state: TcpState): TcpEvent[] =>
  TCP_EVENTS.filter((event) => expected.has(`${state} ${event}`));

describe('transition', () => {
  it('covers all 143 (state, event) pairs, 41 of them allowed', () => {
    expect(pairs).toHaveLength(11 * 13);
    expect(allowedPairs).toHaveLength(41);
    expect(expected.size).toBe(41);
  });

  it.each(allowedPairs)('takes $event in $state as RFC 9293 says', ({ state, event }) => {
    const want = expected.get(`${state} ${event}`);
    expect(transition(state, event), `${state} + ${event}`).toEqual({
      state: want?.next,
      actions: want?.actions,
    });
  });

  it.each(refusedPairs)('refuses $event in $state with a typed error', ({ state, event }) => {
    const err = thrownBy(() => transition(state, event));
    expect(err).toBeInstanceOf(InvalidTransitionError);
    const typed = err as InvalidTransitionError;
    expect(typed).toBeInstanceOf(BasicsError);
    expect(typed.code).toBe('BASICS_ERR_INVALID_TRANSITION');
    expect(typed.state).toBe(state);
    expect(typed.event).toBe(event);
    expect(typed.allowed).toEqual(expectedAllowed(state));
    expect(typed.message).toContain(state);
    expect(typed.message).toContain(event);
    for (const allowed of expectedAllowed(state)) expect(typed.message).toContain(allowed);
  });

  it('sends a RST in SYN-RECEIVED back to LISTEN after a passive open, to CLOSED after an active one', () => {
    expect(transition('SYN-RECEIVED', 'rcv-rst', { openedBy: 'passive' })).toEqual({
      state: 'LISTEN',
      actions: [],
    });
    expect(transition('SYN-RECEIVED', 'rcv-rst', { openedBy: 'active' })).toEqual({
      state: 'CLOSED',
      actions: ['report-refused', 'delete-tcb'],
    });
    // Only SYN-RECEIVED depends on how the connection was opened.
    for (const { state, event } of allowedPairs) {
      if (state === 'SYN-RECEIVED' && event === 'rcv-rst') continue;
      expect(transition(state, event, { openedBy: 'active' })).toEqual(transition(state, event));
    }
  });

  it.each([
    ['an unknown state', 'OPEN', 'close'],
    ['an unknown event', 'LISTEN', 'connect'],
    ['a prototype key as state', '__proto__', 'close'],
    ['a prototype key as event', 'LISTEN', 'constructor'],
    ['toString as event', 'CLOSED', 'toString'],
    ['a NUL byte', 'LISTEN\0', 'close'],
    ['a number', 42, 'close'],
    ['undefined', undefined, undefined],
    ['an object without a prototype', Object.create(null), Object.create(null)],
    ['a symbol', Symbol('LISTEN'), 'close'],
  ])('rejects %s with a typed error', (_, state, event) => {
    const err = thrownBy(() => transition(state as TcpState, event as TcpEvent));
    expect(err).toBeInstanceOf(InvalidTransitionError);
    expect((err as InvalidTransitionError).code).toBe('BASICS_ERR_INVALID_TRANSITION');
  });

  it('rejects an openedBy option that is neither passive nor active', () => {
    expect(
      thrownBy(() => transition('SYN-RECEIVED', 'rcv-rst', { openedBy: 'both' as 'active' })),
    ).toBeInstanceOf(TypeError);
  });

  it('returns a fresh actions array, so callers cannot corrupt the table', () => {
    const first = transition('CLOSED', 'active-open');
    (first.actions as TcpAction[]).push('snd-rst');
    expect(transition('CLOSED', 'active-open').actions).toEqual(['create-tcb', 'snd-syn']);
  });

  it('survives any string as state and event: a result or a typed error, nothing else', () => {
    const name = fc.oneof(fc.constantFrom<string>(...TCP_STATES, ...TCP_EVENTS), fc.string());
    fc.assert(
      fc.property(name, name, (state, event) => {
        try {
          const next = transition(state as TcpState, event as TcpEvent);
          return isTcpState(next.state);
        } catch (err) {
          return err instanceof InvalidTransitionError;
        }
      }),
      { seed: 9293, numRuns: 1_000 },
    );
  });
});

describe('TRANSITIONS', () => {
  it('names only known states, events and actions, and cites the RFC for each rule', () => {
    for (const [state, rules] of Object.entries(TRANSITIONS)) {
      expect(TCP_STATES).toContain(state);
      for (const [event, rule] of Object.entries(rules)) {
        expect(TCP_EVENTS).toContain(event);
        expect(TCP_STATES).toContain(rule.next);
        for (const action of rule.actions) expect(TCP_ACTIONS).toContain(action);
        expect(rule.see, `${state} ${event}`).toMatch(/Figure 5|§3\.10/);
      }
    }
  });
});

describe('allowedEvents', () => {
  it.each(TCP_STATES)('lists what %s accepts', (state) => {
    expect(allowedEvents(state)).toEqual(expectedAllowed(state));
  });

  it('rejects an unknown state with a typed error', () => {
    expect(thrownBy(() => allowedEvents('NOPE' as TcpState))).toBeInstanceOf(
      InvalidTransitionError,
    );
  });
});

describe('describeState', () => {
  it.each(TCP_STATES)('describes %s in one sentence', (state) => {
    const sentence = describeState(state);
    expect(sentence).toMatch(/^[A-Z].*\.$/);
    expect(sentence.split('. ')).toHaveLength(1);
  });

  it('says something different for every state', () => {
    expect(new Set(TCP_STATES.map(describeState)).size).toBe(TCP_STATES.length);
  });

  it('explains TIME-WAIT with 2·MSL', () => {
    expect(describeState('TIME-WAIT')).toContain('2·MSL');
  });
});

/** The shortest list of events from `from` to `to`, searched over the expected table. */
function shortestPath(from: TcpState, to: TcpState): TcpEvent[] | undefined {
  const seen = new Map<TcpState, TcpEvent[]>([[from, []]]);
  const queue: TcpState[] = [from];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    if (state === to) return seen.get(state);
    for (const event of expectedAllowed(state)) {
      const next = expected.get(`${state} ${event}`)?.next;
      if (next !== undefined && !seen.has(next)) {
        seen.set(next, [...(seen.get(state) ?? []), event]);
        queue.push(next);
      }
    }
  }
  return undefined;
}

describe('random walks (property-based)', () => {
  const walk = fc.record({
    start: fc.constantFrom(...TCP_STATES),
    picks: fc.array(fc.nat(), { maxLength: 60 }),
  });

  it('never leave the state set, and keep the action invariants', () => {
    fc.assert(
      fc.property(walk, ({ start, picks }) => {
        let state: TcpState = start;
        for (const pick of picks) {
          const events = allowedEvents(state);
          const event = events[pick % events.length] as TcpEvent;
          const next = transition(state, event);
          expect(TCP_STATES).toContain(next.state);
          for (const action of next.actions) expect(TCP_ACTIONS).toContain(action);
          // The TCB is created only from CLOSED and deleted exactly when a connection ends.
          expect(next.actions.includes('create-tcb')).toBe(state === 'CLOSED');
          expect(next.actions.includes('delete-tcb')).toBe(next.state === 'CLOSED');
          // The 2·MSL timer starts exactly when the connection (re-)enters TIME-WAIT.
          expect(next.actions.includes('start-2msl-timer')).toBe(next.state === 'TIME-WAIT');
          state = next.state;
        }
      }),
      { seed: 793, numRuns: 200 },
    );
  });

  it('can always get back to CLOSED, and TIME-WAIT leads nowhere else', () => {
    fc.assert(
      fc.property(walk, ({ start, picks }) => {
        const events: TcpEvent[] = [];
        let state: TcpState = start;
        for (const pick of picks) {
          const allowed = allowedEvents(state);
          const event = allowed[pick % allowed.length] as TcpEvent;
          events.push(event);
          // runScenario remembers how SYN-RECEIVED was reached, as the RST rule needs.
          state = runScenario(events, start).end;
        }
        const home = shortestPath(state, 'CLOSED');
        expect(home, `a way from ${state} back to CLOSED`).toBeDefined();
        expect(runScenario([...events, ...(home ?? [])], start).end).toBe('CLOSED');
      }),
      { seed: 1981, numRuns: 300 },
    );
    for (const event of allowedEvents('TIME-WAIT')) {
      expect(['TIME-WAIT', 'CLOSED']).toContain(transition('TIME-WAIT', event).state);
    }
    expect(runScenario(['timeout-2msl'], 'TIME-WAIT').end).toBe('CLOSED');
  });
});

describe('runScenario and the canned scenarios', () => {
  it.each([
    {
      scenario: ACTIVE_OPEN_AND_CLOSE,
      start: 'CLOSED',
      visits: ['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED'],
    },
    {
      scenario: PASSIVE_OPEN_AND_CLOSE,
      start: 'CLOSED',
      visits: ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED'],
    },
    {
      scenario: SIMULTANEOUS_OPEN,
      start: 'CLOSED',
      visits: ['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED'],
    },
    {
      scenario: SIMULTANEOUS_CLOSE,
      start: 'ESTABLISHED',
      visits: ['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT', 'CLOSED'],
    },
  ] as const)('runs $scenario.name through the states it should', ({ scenario, start, visits }) => {
    expect(scenario.start).toBe(start);
    const trace = runScenario(scenario.events, scenario.start);
    expect(trace.start).toBe(start);
    expect(trace.steps.map((step) => step.to)).toEqual(visits);
    expect(trace.end).toBe(visits.at(-1));
    expect(scenario.states).toEqual([start, ...visits]);
    expect(trace.steps.map((step) => step.event)).toEqual(scenario.events);
    expect(trace.steps.map((step) => step.from)).toEqual(scenario.states.slice(0, -1));
  });

  it('sends the actions each step needs on the wire', () => {
    const trace = runScenario(ACTIVE_OPEN_AND_CLOSE.events);
    expect(trace.steps.map((step) => step.actions)).toEqual([
      ['create-tcb', 'snd-syn'],
      ['snd-ack'],
      ['snd-fin'],
      [],
      ['snd-ack', 'start-2msl-timer'],
      ['delete-tcb'],
    ]);
  });

  it('stays where it started for no events', () => {
    expect(runScenario([], 'LISTEN')).toEqual({ start: 'LISTEN', end: 'LISTEN', steps: [] });
    expect(runScenario([]).end).toBe('CLOSED');
  });

  it('remembers how SYN-RECEIVED was reached when a RST arrives', () => {
    expect(runScenario(['passive-open', 'rcv-syn', 'rcv-rst']).end).toBe('LISTEN');
    const refused = runScenario(['active-open', 'rcv-syn', 'rcv-rst']);
    expect(refused.end).toBe('CLOSED');
    expect(refused.steps.at(-1)?.actions).toEqual(['report-refused', 'delete-tcb']);
    // LISTEN, then SEND: the connection became active.
    expect(runScenario(['passive-open', 'send', 'rcv-syn', 'rcv-rst']).end).toBe('CLOSED');
    expect(runScenario(['rcv-rst'], 'SYN-RECEIVED', { openedBy: 'active' }).end).toBe('CLOSED');
    expect(runScenario(['rcv-rst'], 'SYN-RECEIVED').end).toBe('LISTEN');
  });

  it('names the failing step and keeps the cause', () => {
    const err = thrownBy(() => runScenario(['active-open', 'rcv-syn-ack', 'rcv-ack-of-fin']));
    expect(err).toBeInstanceOf(InvalidTransitionError);
    const typed = err as InvalidTransitionError;
    expect(typed.message).toMatch(/^step 3 of 3: /);
    expect(typed.state).toBe('ESTABLISHED');
    expect(typed.allowed).toEqual(expectedAllowed('ESTABLISHED'));
    expect(typed.cause).toBeInstanceOf(InvalidTransitionError);
  });

  it('rejects a start that is not a state, and events that are not an array', () => {
    expect(thrownBy(() => runScenario([], 'NOPE' as TcpState))).toBeInstanceOf(
      InvalidTransitionError,
    );
    expect(thrownBy(() => runScenario('close' as unknown as TcpEvent[]))).toBeInstanceOf(TypeError);
  });
});

describe('linuxStateName', () => {
  it.each([
    ['01', 'ESTABLISHED'],
    ['02', 'SYN-SENT'],
    ['03', 'SYN-RECEIVED'],
    ['04', 'FIN-WAIT-1'],
    ['05', 'FIN-WAIT-2'],
    ['06', 'TIME-WAIT'],
    ['07', 'CLOSED'],
    ['08', 'CLOSE-WAIT'],
    ['09', 'LAST-ACK'],
    ['0A', 'LISTEN'],
    ['0B', 'CLOSING'],
    ['0C', 'SYN-RECEIVED'],
    ['0D', 'CLOSED'],
  ])('names Linux state %s %s', (hex, name) => {
    expect(linuxStateName(hex)).toBe(name);
    expect(linuxStateName(hex.toLowerCase())).toBe(name);
    expect(linuxStateName(Number.parseInt(hex, 16))).toBe(name);
    expect(LINUX_TCP_STATES[hex as keyof typeof LINUX_TCP_STATES]).toBe(name);
  });

  it('reads a single hex digit', () => {
    expect(linuxStateName('a')).toBe('LISTEN');
  });

  it.each([
    '',
    '00',
    '0E',
    'FF',
    '100',
    '0G',
    ' 01',
    '0x0A',
    '1\0',
    'toString',
    '__proto__',
    'A'.repeat(10_000),
    0,
    14,
    -1,
    1.5,
    Number.NaN,
    256,
  ])('rejects %j with BASICS_ERR_PARSE', (input) => {
    const err = thrownBy(() => linuxStateName(input as string));
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).code).toBe('BASICS_ERR_PARSE');
    expect((err as ParseError).message.length).toBeLessThan(300);
  });
});

describe.runIf(process.platform === 'linux')(
  'the kernel agrees (real sockets on 127.0.0.1)',
  () => {
    it('shows LISTEN, ESTABLISHED, FIN-WAIT-2/CLOSE-WAIT, then TIME-WAIT on the closer', async () => {
      // allowHalfOpen: the server side must not end by itself when the client's FIN arrives.
      const server = net.createServer({ allowHalfOpen: true });
      const sockets: net.Socket[] = [];
      onTestFinished(() => closeServer(server, sockets));
      const { port } = await listenOnFreePort(server, '127.0.0.1');

      const stateOf = async (localPort: number, remotePort: number) => {
        const table = await readSocketTable({ protocols: ['tcp'] });
        return table.find(
          (e) =>
            e.localAddress === '127.0.0.1' &&
            e.localPort === localPort &&
            e.remoteAddress === (remotePort === 0 ? '0.0.0.0' : '127.0.0.1') &&
            e.remotePort === remotePort,
        )?.state;
      };
      const waitFor = (localPort: number, remotePort: number, want: TcpState | undefined) =>
        pollUntil(
          async () => (await stateOf(localPort, remotePort)) === want,
          `127.0.0.1:${localPort} → :${remotePort} to be ${want ?? 'gone'} in /proc/net/tcp`,
          { intervalMs: 20 },
        );

      await waitFor(port, 0, 'LISTEN');

      const accepted = nextEvent<[net.Socket]>(server, 'connection');
      const client = net.connect({ port, host: '127.0.0.1' });
      sockets.push(client);
      await nextEvent(client, 'connect');
      const [serverSide] = await accepted;
      sockets.push(serverSide);
      const clientPort = client.localPort ?? 0;

      await waitFor(clientPort, port, 'ESTABLISHED');
      await waitFor(port, clientPort, 'ESTABLISHED');

      // The client closes first: its FIN is acknowledged, and the server has not closed yet.
      client.end();
      await nextEvent(serverSide, 'end');
      await waitFor(clientPort, port, 'FIN-WAIT-2');
      await waitFor(port, clientPort, 'CLOSE-WAIT');

      // Now the server closes: the client, which closed first, waits in TIME-WAIT.
      const clientClosed = nextEvent(client, 'close');
      serverSide.end();
      await clientClosed;
      await waitFor(clientPort, port, 'TIME-WAIT');
      await waitFor(port, clientPort, undefined); // LAST-ACK → CLOSED: gone from the table
    });
  },
);
