/**
 * The experiments of lessons/chat-and-notifications.md, on the library's pure pieces with a clock
 * that moves only when told: presence by user (two tabs, a reload, a real departure), typing
 * indicators under a key-repeat flood, history paging, and at-least-once notifications with a
 * lost acknowledgement. Every line it prints is on the lesson's page (a test checks).
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-chat.ts
 */

import {
  ChatHistory,
  type Notification,
  PendingStore,
  PresenceTracker,
  receiveNotifications,
  TypingTracker,
} from '@socketlab/websockets/realtime';

/** A clock for the trackers that moves only in `advance(ms)`, firing timers in order. */
function manualClock() {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number): unknown => {
      timers.set(++nextId, { at: now + ms, fn });
      return nextId;
    },
    clearTimeout: (id: unknown): void => {
      timers.delete(id as number);
    },
    advance(ms: number): void {
      const until = now + ms;
      for (;;) {
        const due = [...timers]
          .filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
    },
  };
}

const log = (line: string): void => console.log(line);

// 1. Presence, keyed by user, with a grace period on disconnect.
{
  const clock = manualClock();
  const presence = new PresenceTracker({
    graceMs: 5000,
    clock,
    onChange: (c) => log(`  t=${clock.now()} ms  presence: ${c.userId} ${c.type} #${c.room}`),
  });
  log('presence (grace 5000 ms):');
  presence.join('general', 'ada', 'tab-1');
  presence.join('general', 'ada', 'tab-2');
  log(`  ada opens a second tab: members ${JSON.stringify(presence.members('general'))}`);
  presence.leave('general', 'tab-1');
  log(`  ada closes tab 1: members ${JSON.stringify(presence.members('general'))}`);
  presence.disconnect('tab-2');
  clock.advance(1200);
  presence.join('general', 'ada', 'tab-3');
  log(
    `  tab 2 reloads, back as tab 3 after 1200 ms: members ${JSON.stringify(presence.members('general'))}`,
  );
  presence.disconnect('tab-3');
  log('  tab 3 goes away for good');
  clock.advance(6000);
}

// 2. Typing: one start per key press for 3 s (a key every 100 ms), then silence.
{
  const clock = manualClock();
  let broadcasts = 0;
  const results = new Map<string, number>();
  const typing = new TypingTracker({
    expireMs: 5000,
    throttleMs: 1000,
    clock,
    onChange: (c) => {
      broadcasts++;
      log(`  t=${clock.now()} ms  typing: ${c.userId} ${c.typing ? 'started' : 'stopped'}`);
    },
  });
  log('typing (expire 5000 ms, throttle 1000 ms), 30 key presses in 3 s:');
  for (let key = 0; key < 30; key++) {
    const result = typing.start('general', 'ada');
    results.set(result, (results.get(result) ?? 0) + 1);
    clock.advance(100);
  }
  clock.advance(6000);
  log(
    `  starts: ${[...results].map(([r, n]) => `${n} ${r}`).join(', ')}; broadcasts: ${broadcasts}`,
  );
}

// 3. History: a bounded ring per room, and a cursor that pages backwards.
{
  const history = new ChatHistory({ perRoom: 5 });
  for (let i = 1; i <= 8; i++) {
    history.append({ id: `m${i}`, room: 'general', userId: 'ada', text: `message ${i}`, at: 0 });
  }
  const page = (before?: number) =>
    history
      .recent('general', before === undefined ? { limit: 2 } : { limit: 2, before })
      .map((m) => m.seq);
  log('history (5 kept per room), 8 messages sent:');
  log(`  kept: ${JSON.stringify(history.recent('general').map((m) => m.seq))}`);
  log(
    `  last 2: ${JSON.stringify(page())}, then before 7: ${JSON.stringify(page(7))}, then before 5: ${JSON.stringify(page(5))}, then before 4: ${JSON.stringify(page(4))}`,
  );
}

// 4. At least once: the first acknowledgement is lost, the server delivers again.
{
  const pending = new PendingStore<Notification>({ maxPerUser: 100 });
  let listener: (...args: unknown[]) => void = () => {};
  const socket = {
    on: (_event: 'notification', l: (...args: unknown[]) => void) => {
      listener = l;
    },
    off: () => {},
  };
  const shown: string[] = [];
  const receiver = receiveNotifications(socket, (n) => {
    shown.push(n.title);
  });
  const notification: Notification = {
    id: 'n-1',
    type: 'mention',
    title: 'bob mentioned you',
    at: 0,
  };
  pending.add('ada', notification);
  log('notifications, at least once:');
  const deliver = (attempt: number, ackArrives: boolean) =>
    new Promise<void>((resolve) => {
      listener({ ...notification }, (id: string) => {
        log(
          `  delivery ${attempt}: the client acknowledges ${id}${ackArrives ? '' : ' (the acknowledgement is lost)'}`,
        );
        if (ackArrives) pending.ack('ada', id);
        resolve();
      });
    });
  await deliver(1, false);
  log(
    `  the server still holds ${pending.list('ada').length} pending: it delivers again on reconnect`,
  );
  await deliver(2, true);
  log(
    `  pending now ${pending.list('ada').length}; shown to the user ${shown.length} time(s); duplicates dropped ${receiver.duplicates}`,
  );
}
