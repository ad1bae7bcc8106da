import type { ManualClock } from '@socketlab/testkit';
import type { Demultiplexer, ReactorHandle, Readiness, ReadyEvent } from '../../src/index.ts';

/** One scripted wait: after `afterMs` of virtual time, these handles become ready. */
export interface ScriptStep {
  readonly afterMs?: number;
  readonly ready: ReadonlyArray<{ handle: ReactorHandle; readable?: boolean; writable?: boolean }>;
}

/**
 * A demultiplexer that plays a script on virtual time, as a kernel would: each wait takes the next
 * step, moves the clock by its delay (or by the whole timeout when the step comes later or the
 * script is over) and reports only what each handle is watched for at that moment.
 */
export class ScriptedDemultiplexer implements Demultiplexer {
  /** The timeout of every wait, in order. */
  readonly timeouts: Array<number | undefined> = [];
  /** `watch`/`unwatch` calls, as text, in order. */
  readonly calls: string[] = [];
  readonly #interest = new Map<ReactorHandle, Set<Readiness>>();
  readonly #script: ScriptStep[];

  constructor(
    readonly clock: ManualClock,
    script: ScriptStep[] = [],
  ) {
    this.#script = [...script];
  }

  /** Appends steps to the script. */
  push(...steps: ScriptStep[]): void {
    this.#script.push(...steps);
  }

  watch(handle: ReactorHandle, interest: readonly Readiness[]): void {
    this.calls.push(`watch ${handle} ${interest.join('+') || '-'}`);
    this.#interest.set(handle, new Set(interest));
  }

  unwatch(handle: ReactorHandle): void {
    this.calls.push(`unwatch ${handle}`);
    this.#interest.delete(handle);
  }

  wait(timeoutMs: number | undefined): Promise<readonly ReadyEvent[]> {
    this.timeouts.push(timeoutMs);
    const step = this.#script[0];
    const arrivesIn = step?.afterMs ?? 0;
    if (step === undefined || (timeoutMs !== undefined && arrivesIn > timeoutMs)) {
      if (timeoutMs === undefined) {
        return Promise.reject(new Error('wait() would block for ever: no step and no timer'));
      }
      this.clock.advance(timeoutMs);
      if (step !== undefined) this.#script[0] = { ...step, afterMs: arrivesIn - timeoutMs };
      return Promise.resolve([]);
    }
    this.#script.shift();
    this.clock.advance(arrivesIn);
    const events: ReadyEvent[] = [];
    for (const { handle, readable = false, writable = false } of step.ready) {
      const wanted = this.#interest.get(handle);
      if (wanted === undefined) continue;
      const event = {
        handle,
        readable: readable && wanted.has('readable'),
        writable: writable && wanted.has('writable'),
      };
      if (event.readable || event.writable) events.push(event);
    }
    return Promise.resolve(events);
  }
}
