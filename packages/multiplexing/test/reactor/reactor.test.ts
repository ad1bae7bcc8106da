import { ManualClock, rejectionOf, thrownBy } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { Reactor, type ReactorHandle, type ReactorHandler } from '../../src/index.ts';
import { ScriptedDemultiplexer, type ScriptStep } from './scripted-demultiplexer.ts';

function setup(script: ScriptStep[] = [], maxOpsPerHandle?: number) {
  const clock = new ManualClock();
  const demux = new ScriptedDemultiplexer(clock, script);
  const reactor = new Reactor(
    demux,
    maxOpsPerHandle === undefined ? { clock } : { clock, maxOpsPerHandle },
  );
  return { clock, demux, reactor };
}

/** A handler that logs every call as `r<handle>@<time>` / `w<handle>@<time>` and has no more work. */
function logging(log: string[], clock: ManualClock): ReactorHandler {
  return {
    onReadable: (h) => void log.push(`r${h}@${clock.now()}`),
    onWritable: (h) => void log.push(`w${h}@${clock.now()}`),
  };
}

describe('the reactor on virtual time', () => {
  it('fires timers in deadline order, ties in the order set, each at its virtual time', async () => {
    const { clock, demux, reactor } = setup();
    const fired: string[] = [];
    const at = (label: string) => () => fired.push(`${label}@${clock.now()}`);
    reactor.setTimer(30, at('a'));
    reactor.setTimer(10, at('b'));
    reactor.setTimer(20, at('c'));
    reactor.setTimer(10, at('d'));
    const cancelled = reactor.setTimer(15, at('never'));
    expect(reactor.cancelTimer(cancelled)).toBe(true);
    expect(reactor.cancelTimer(cancelled)).toBe(false);

    expect(await reactor.run({ maxTurns: 10 })).toBe(3);
    expect(fired).toEqual(['b@10', 'd@10', 'c@20', 'a@30']);
    expect(demux.timeouts).toEqual([10, 10, 10]);
  });

  it('waits for the time to the next timer, shorter when an event comes first, for ever with no timer', async () => {
    const log: string[] = [];
    const { clock, demux, reactor } = setup([
      { afterMs: 20, ready: [{ handle: 4, readable: true }] },
    ]);
    reactor.register(4, ['readable'], logging(log, clock));
    expect(reactor.nextTimeout()).toBeUndefined();
    reactor.setTimer(50, () => log.push(`timer@${clock.now()}`));

    await reactor.turn(); // the event at 20, before the timer
    await reactor.turn(); // nothing more: the wait runs out at the timer
    expect(demux.timeouts).toEqual([50, 30]);
    expect(log).toEqual(['r4@20', 'timer@50']);
    expect(reactor.nextTimeout()).toBeUndefined();
  });

  it('dispatches each ready handle to its own handler, only for what it is registered for', async () => {
    const log: string[] = [];
    const { clock, reactor } = setup([
      {
        ready: [
          { handle: 7, readable: true },
          { handle: 3, readable: true, writable: true },
        ],
      },
    ]);
    reactor.register(3, ['writable'], logging(log, clock));
    reactor.register(7, ['readable', 'writable'], logging(log, clock));
    const summary = await reactor.turn();
    expect(log).toEqual(['r7@0', 'w3@0']);
    expect(summary).toEqual({
      waitedMs: undefined,
      events: 2,
      dispatches: 2,
      carried: 0,
      timers: 0,
    });
  });

  it('applies an interest change from the next wait, and drops this turn’s events of a handle deregistered or no longer interested meanwhile', async () => {
    const both = { readable: true, writable: true };
    const turnScript = {
      ready: [
        { handle: 1, ...both },
        { handle: 2, ...both },
        { handle: 3, ...both },
      ],
    };
    const log: string[] = [];
    const { clock, demux, reactor } = setup([turnScript, turnScript]);
    reactor.register(1, ['readable'], {
      onReadable(h) {
        log.push(`r${h}`);
        if (reactor.interestOf(1).length === 1) {
          reactor.setInterest(1, ['readable', 'writable']);
          reactor.deregister(2); // collected this turn, dispatched never
          reactor.setInterest(3, []); // collected this turn, no longer wanted
        }
        return false;
      },
      onWritable: (h) => void log.push(`w${h}`),
    });
    reactor.register(2, ['readable'], logging(log, clock));
    reactor.register(3, ['readable'], logging(log, clock));
    await reactor.turn();
    expect(log).toEqual(['r1']);
    await reactor.turn();
    expect(log).toEqual(['r1', 'r1', 'w1']);
    expect(demux.calls).toEqual([
      'watch 1 readable',
      'watch 2 readable',
      'watch 3 readable',
      'watch 1 readable+writable',
      'unwatch 2',
      'watch 3 -',
    ]);
  });

  it('gives a busy handle its budget per turn, then serves the others and carries its work over', async () => {
    const { demux, reactor } = setup(
      [
        {
          ready: [
            { handle: 1, readable: true },
            { handle: 2, readable: true },
          ],
        },
      ],
      4,
    );
    const calls = { busy: 0, quiet: 0 };
    // The busy handle always has more (bounded here, so a reactor without a budget still ends).
    reactor.register(1, ['readable'], { onReadable: () => ++calls.busy < 1_000 });
    reactor.register(2, ['readable'], { onReadable: () => void calls.quiet++ });
    reactor.setTimer(1_000, () => {});

    const first = await reactor.turn();
    expect(calls).toEqual({ busy: 4, quiet: 1 });
    expect(first.carried).toBe(1);
    expect(reactor.nextTimeout()).toBe(0); // work is waiting: do not sleep until the timer

    const second = await reactor.turn(); // the script is over: only the carried work runs
    expect(calls).toEqual({ busy: 8, quiet: 1 });
    expect(second.events).toBe(0);
    expect(demux.timeouts).toEqual([1_000, 0]);
  });

  it('runs a timer set by a timer on the next turn, and a timer cancelled by a due one never', async () => {
    const { clock, reactor } = setup();
    const fired: string[] = [];
    let victim = 0;
    reactor.setTimer(5, () => {
      fired.push(`first@${clock.now()}`);
      reactor.cancelTimer(victim);
      reactor.setTimer(0, () => fired.push(`rearmed@${clock.now()}`));
    });
    victim = reactor.setTimer(5, () => fired.push('victim'));
    const first = await reactor.turn();
    expect(first.timers).toBe(1);
    expect(fired).toEqual(['first@5']);
    await reactor.turn();
    expect(fired).toEqual(['first@5', 'rearmed@5']);
  });

  it('stops dispatching when a handler closes the reactor, and run() then returns', async () => {
    const log: string[] = [];
    const { clock, demux, reactor } = setup([
      {
        ready: [
          { handle: 1, readable: true },
          { handle: 2, readable: true },
        ],
      },
    ]);
    reactor.register(1, ['readable'], { onReadable: () => void reactor.close() });
    reactor.register(2, ['readable'], logging(log, clock));
    reactor.setTimer(0, () => log.push('timer'));
    expect(await reactor.run({ maxTurns: 5 })).toBe(1);
    expect(log).toEqual([]);
    expect(demux.calls.slice(-2)).toEqual(['unwatch 1', 'unwatch 2']);
    expect(reactor.closed).toBe(true);
  });

  it('ends run() when no handle and no timer is left, and after stop()', async () => {
    const { reactor } = setup([{ ready: [{ handle: 9, readable: true }] }]);
    reactor.register(9, ['readable'], {
      onReadable(h: ReactorHandle) {
        reactor.deregister(h);
        return false;
      },
    });
    expect(await reactor.run({ maxTurns: 5 })).toBe(1);
    reactor.setTimer(1, () => reactor.stop());
    reactor.setTimer(2, () => {});
    expect(await reactor.run({ maxTurns: 5 })).toBe(1);
    expect(await reactor.run({ maxTurns: 5 })).toBe(1); // the 2 ms timer is still to run
  });

  it('rejects the turn with what a handler threw', async () => {
    const { reactor } = setup([{ ready: [{ handle: 1, readable: true }] }]);
    const boom = new Error('boom');
    reactor.register(1, ['readable'], {
      onReadable: () => {
        throw boom;
      },
    });
    expect(await rejectionOf(reactor.turn(), 'a turn whose handler throws')).toBe(boom);
  });
});

describe('misuse of the reactor', () => {
  it('refuses a handle registered twice', () => {
    const { reactor } = setup();
    reactor.register(1, ['readable'], {});
    const err = thrownBy(() => reactor.register(1, ['writable'], {}), 'register twice');
    expect(err.code).toBe('MULTIPLEXING_ERR_ALREADY_REGISTERED');
    expect(err.message).toMatch(/handle 1 is already registered/);
  });

  it.each([
    ['setInterest', (r: Reactor) => r.setInterest(5, ['readable'])],
    ['deregister', (r: Reactor) => r.deregister(5)],
    ['interestOf', (r: Reactor) => r.interestOf(5)],
  ])('refuses %s() on a handle it does not know', (what, call) => {
    const { reactor } = setup();
    const err = thrownBy(() => call(reactor), what);
    expect(err.code).toBe('MULTIPLEXING_ERR_UNKNOWN_HANDLE');
    expect(err.message).toMatch(/handle 5 is not registered/);
  });

  it('refuses use after close, and takes clean-up calls again quietly', async () => {
    const { reactor } = setup();
    reactor.register(1, ['readable'], {});
    reactor.close();
    for (const [what, call] of [
      ['register', () => reactor.register(2, [], {})],
      ['setInterest', () => reactor.setInterest(1, [])],
      ['setTimer', () => reactor.setTimer(1, () => {})],
    ] as const) {
      expect(thrownBy(call, what).code).toBe('MULTIPLEXING_ERR_CLOSED');
    }
    expect((await rejectionOf(reactor.turn(), 'turn after close')).code).toBe(
      'MULTIPLEXING_ERR_CLOSED',
    );
    expect(() => {
      reactor.close();
      reactor.deregister(1);
    }).not.toThrow();
  });

  it('refuses a second turn while one is waiting', async () => {
    const { reactor } = setup([{ afterMs: 1, ready: [] }]);
    reactor.setTimer(1, () => {});
    const first = reactor.turn();
    const err = await rejectionOf(reactor.turn(), 'a turn during a turn');
    expect(err.code).toBe('MULTIPLEXING_ERR_LOOP_RUNNING');
    await first;
  });

  it('checks its arguments synchronously', () => {
    const { demux, reactor } = setup();
    expect(thrownBy(() => new Reactor({} as never))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => new Reactor(demux, { maxOpsPerHandle: 0 }))).toBeInstanceOf(RangeError);
    expect(thrownBy(() => new Reactor(demux, { clock: {} as never }))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => reactor.register(-1, [], {}))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => reactor.register(1, ['urgent' as never], {}))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => reactor.register(1, [], null as never))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => reactor.setTimer(-1, () => {}))).toBeInstanceOf(RangeError);
  });
});
