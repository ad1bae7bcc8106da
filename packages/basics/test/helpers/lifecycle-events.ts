import { withTimeout } from '@socketlab/testkit';
import type { EchoServer, LifecycleEvent } from '../../src/index.ts';

/** Resolves with the first recorded or future server event that matches, within a bound. */
export function untilEvent(
  server: EchoServer,
  events: readonly LifecycleEvent[],
  what: string,
  matches: (event: LifecycleEvent) => boolean,
): Promise<LifecycleEvent> {
  const seen = events.find(matches);
  if (seen) return Promise.resolve(seen);
  let onEvent: (event: LifecycleEvent) => void = () => {};
  const found = new Promise<LifecycleEvent>((resolve) => {
    onEvent = (event) => {
      if (matches(event)) resolve(event);
    };
    server.on('lifecycle', onEvent);
  });
  return withTimeout(found, what).finally(() => server.off('lifecycle', onEvent));
}

/** Matches the server's events (or only its `step`) on the connection from a client's local `port`. */
export const eventFrom =
  (port: number | undefined, step?: LifecycleEvent['step']) =>
  (event: LifecycleEvent): boolean =>
    event.tuple?.remotePort === port && (step === undefined || event.step === step);

/** Resolves with the server's close of the connection from a client's local `port`, within a bound. */
export function untilClosedFrom(
  server: EchoServer,
  events: readonly LifecycleEvent[],
  port: number | undefined,
  what: string,
): Promise<LifecycleEvent> {
  return untilEvent(server, events, what, eventFrom(port, 'close'));
}
