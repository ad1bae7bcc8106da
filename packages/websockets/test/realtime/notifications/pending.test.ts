import { ManualClock } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PendingStore } from '../../../src/realtime/notifications/index.ts';

const item = (id: string) => ({ id });

function store(options: ConstructorParameters<typeof PendingStore>[0] = {}) {
  const clock = new ManualClock();
  const dropped: string[] = [];
  const pending = new PendingStore<{ id: string }>({
    clock,
    onDrop: (userId, dropItem, reason) =>
      dropped.push(`${userId}/${(dropItem as { id: string }).id} ${reason}`),
    ...options,
  });
  return { clock, dropped, pending };
}

describe('PendingStore', () => {
  it('keeps items per user, oldest first, until acknowledged', () => {
    const { pending } = store();
    pending.add('ada', item('n1'));
    pending.add('ada', item('n2'));
    pending.add('bob', item('n3'));
    expect(pending.list('ada')).toEqual([item('n1'), item('n2')]);
    expect(pending.ack('ada', 'n1')).toBe(true);
    expect(pending.ack('ada', 'n1')).toBe(false);
    expect(pending.ack('bob', 'n2')).toBe(false);
    expect(pending.list('ada')).toEqual([item('n2')]);
    expect(pending.has('bob', 'n3')).toBe(true);
  });

  it('does not add an id twice', () => {
    const { pending } = store();
    expect(pending.add('ada', item('n1'))).toBe(true);
    expect(pending.add('ada', item('n1'))).toBe(false);
    expect(pending.list('ada')).toHaveLength(1);
  });

  it('drops the oldest when a user has maxPerUser, and says so', () => {
    const { dropped, pending } = store({ maxPerUser: 2 });
    for (const id of ['n1', 'n2', 'n3']) pending.add('ada', item(id));
    expect(pending.list('ada').map((n) => n.id)).toEqual(['n2', 'n3']);
    expect(dropped).toEqual(['ada/n1 full']);
  });

  it('drops the user written to least recently past maxUsers', () => {
    const { dropped, pending } = store({ maxUsers: 2 });
    pending.add('ada', item('a1'));
    pending.add('bob', item('b1'));
    pending.add('ada', item('a2'));
    pending.add('cat', item('c1'));
    expect(pending.userCount).toBe(2);
    expect(pending.list('bob')).toEqual([]);
    expect(dropped).toEqual(['bob/b1 users']);
  });

  it('expires items ttlMs after they were added', () => {
    const { clock, dropped, pending } = store({ ttlMs: 1000 });
    pending.add('ada', item('n1'));
    clock.advance(500);
    pending.add('ada', item('n2'));
    clock.advance(499);
    expect(pending.list('ada')).toHaveLength(2);
    clock.advance(1);
    expect(pending.list('ada').map((n) => n.id)).toEqual(['n2']);
    clock.advance(500);
    expect(pending.list('ada')).toEqual([]);
    expect(pending.userCount).toBe(0);
    expect(dropped).toEqual(['ada/n1 expired', 'ada/n2 expired']);
  });

  it('forgets a user whose last item is acknowledged', () => {
    const { pending } = store();
    pending.add('ada', item('n1'));
    pending.ack('ada', 'n1');
    expect(pending.userCount).toBe(0);
  });

  it.each([{ maxPerUser: 0 }, { maxUsers: 1.5 }, { ttlMs: 0 }, { ttlMs: Number.NaN }])(
    'refuses %j',
    (options) => {
      expect(() => new PendingStore(options)).toThrow(RangeError);
    },
  );

  it('agrees with a model, and stays within its bounds (property)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        user: fc.constantFrom('a', 'b', 'c', 'd'),
        id: fc.integer({ min: 0, max: 9 }),
      }),
      fc.record({
        kind: fc.constant('ack' as const),
        user: fc.constantFrom('a', 'b', 'c', 'd'),
        id: fc.integer({ min: 0, max: 9 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const { pending } = store({ maxPerUser: 3, maxUsers: 2 });
        const model = new Map<string, string[]>();
        for (const step of ops) {
          const id = String(step.id);
          if (step.kind === 'add') {
            const list = model.get(step.user) ?? [];
            if (!list.includes(id)) {
              model.delete(step.user);
              if (list.length === 0 && model.size >= 2)
                model.delete(model.keys().next().value as string);
              list.push(id);
              if (list.length > 3) list.shift();
            }
            model.set(step.user, list);
            pending.add(step.user, item(id));
          } else {
            const list = model.get(step.user) ?? [];
            const at = list.indexOf(id);
            expect(pending.ack(step.user, id)).toBe(at >= 0);
            if (at >= 0) list.splice(at, 1);
            if (list.length === 0) model.delete(step.user);
          }
          expect(pending.userCount).toBeLessThanOrEqual(2);
          for (const user of ['a', 'b', 'c', 'd']) {
            expect(pending.list(user).map((n) => n.id)).toEqual(model.get(user) ?? []);
          }
        }
      }),
    );
  });
});
