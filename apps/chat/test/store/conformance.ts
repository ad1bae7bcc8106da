/**
 * The one behaviour every chat store (memory, Redis, NATS) must have, run against each: a
 * test file gives a harness that opens stores in a fresh namespace per test, and this suite does
 * the rest. Stores opened from one namespace share their data, as instances on one broker do.
 */
import { randomUUID } from 'node:crypto';
import { pollUntil } from '@socketlab/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ChatUser } from '../../src/contract.ts';
import type { ChatStores, NewChatMessage } from '../../src/store/types.ts';

/** What a test asks of one store it opens. */
export interface StoreOpenOptions {
  readonly instanceId: string;
  /** How long an instance counts as alive without a refresh (shared stores only). */
  readonly instanceTtlMs?: number;
  readonly maxRooms?: number;
  readonly maxMessagesPerRoom?: number;
}

/** One opened store, and (shared stores) a way to make its instance die without cleaning up. */
export interface OpenedStores {
  readonly stores: ChatStores;
  /** Stops its liveness refresh and drops its connection, as a killed process would. */
  crash?(): void;
}

/** How the suite reaches a store. */
export interface StoreHarness {
  /** True when stores opened from one namespace share data (Redis, NATS); false for memory. */
  readonly shared: boolean;
  /** Skip the suite (a service is missing and this is not CI). */
  readonly skip?: boolean;
  /** Called before the tests: throws under CI when the service is missing. */
  require?(): void;
  /**
   * A fresh namespace (key prefix, stream names) for one test; its data is deleted when the test
   * ends. The function it returns opens a store in it, closed when the test ends.
   */
  namespace(): (options: StoreOpenOptions) => Promise<OpenedStores>;
}

const user = (name: string): ChatUser => ({ id: `guest:${name}`, nick: name, via: 'web' });

function message(room: string, text: string, from = user('ann')): NewChatMessage {
  return { id: randomUUID(), room, from, kind: 'text', text, at: Date.now() };
}

/** Runs the conformance suite against the stores `harness` opens. */
export function describeStoreConformance(name: string, harness: StoreHarness): void {
  describe.skipIf(harness.skip === true)(`the ${name} stores`, () => {
    beforeAll(() => harness.require?.());

    /** Opens stores in one fresh namespace, each its own instance, with the options given each. */
    async function open(count: number, options: Partial<StoreOpenOptions>[] = []) {
      const openIn = harness.namespace();
      const opened: OpenedStores[] = [];
      for (let i = 0; i < count; i++) {
        const id = `i${i}-${randomUUID().slice(0, 6)}`;
        const one = await openIn({ instanceId: id, ...options[i] });
        onTestFinished(() => one.stores.history.close());
        onTestFinished(() => one.stores.presence.close());
        opened.push(one);
      }
      return opened;
    }
    const texts = (page: { messages: { text: string }[] }) => page.messages.map((m) => m.text);

    it('gives each room seqs 1, 2, 3 … and keeps every field', async () => {
      const [one] = await open(1);
      const { history } = (one as OpenedStores).stores;
      expect(await history.lastSeq('a')).toBe(0);
      expect(await history.read('a', { limit: 10 })).toEqual({ messages: [], truncated: false });
      const sent = message('a', 'hello');
      const stored = await history.append(sent);
      expect(stored).toEqual({ ...sent, seq: 1 });
      expect((await history.append(message('a', 'two'))).seq).toBe(2);
      expect((await history.append(message('b', 'other room'))).seq).toBe(1);
      expect((await history.append(message('a', 'three'))).seq).toBe(3);
      expect(await history.lastSeq('a')).toBe(3);
      const page = await history.read('a', { limit: 10 });
      expect(page.truncated).toBe(false);
      expect(page.messages[0]).toEqual(stored);
      expect(page.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    });

    it('reads the newest, those after a seq and those before one, at most limit', async () => {
      const [one] = await open(1);
      const { history } = (one as OpenedStores).stores;
      for (let i = 1; i <= 10; i++) await history.append(message('r', `m${i}`));
      expect(await history.read('r', { limit: 3 })).toMatchObject({ truncated: true });
      expect(texts(await history.read('r', { limit: 3 }))).toEqual(['m8', 'm9', 'm10']);
      expect(await history.read('r', { after: 7, limit: 10 })).toMatchObject({ truncated: false });
      expect(texts(await history.read('r', { after: 7, limit: 10 }))).toEqual(['m8', 'm9', 'm10']);
      const missedMany = await history.read('r', { after: 2, limit: 3 });
      expect(texts(missedMany)).toEqual(['m8', 'm9', 'm10']);
      expect(missedMany.truncated).toBe(true);
      const older = await history.read('r', { before: 5, limit: 2 });
      expect(texts(older)).toEqual(['m3', 'm4']);
      expect(older.truncated).toBe(true);
      expect(await history.read('r', { before: 3, limit: 5 })).toMatchObject({ truncated: false });
      expect(texts(await history.read('r', { before: 3, limit: 5 }))).toEqual(['m1', 'm2']);
      expect(await history.read('r', { after: 10, limit: 5 })).toEqual({
        messages: [],
        truncated: false,
      });
    });

    it('keeps at most maxMessagesPerRoom, and says truncated when a resume missed trimmed ones', async () => {
      const [one] = await open(1, [{ maxMessagesPerRoom: 5 }]);
      const { history } = (one as OpenedStores).stores;
      for (let i = 1; i <= 8; i++) await history.append(message('r', `m${i}`));
      expect(await history.lastSeq('r')).toBe(8);
      const page = await history.read('r', { after: 0, limit: 50 });
      expect(page.messages.map((m) => m.seq)).toEqual([4, 5, 6, 7, 8]);
      expect(page.truncated).toBe(true);
      expect((await history.read('r', { after: 5, limit: 50 })).truncated).toBe(false);
    });

    it('keeps at most maxRooms rooms with history, the most recently written', async () => {
      const [one] = await open(1, [{ maxRooms: 3 }]);
      const { history } = (one as OpenedStores).stores;
      for (const room of ['r1', 'r2', 'r3', 'r4', 'r5']) await history.append(message(room, 'x'));
      expect((await history.rooms()).sort()).toEqual(['r3', 'r4', 'r5']);
    });

    it('counts only a user first connection in and last out, and each user once', async () => {
      const [one] = await open(1);
      const { presence } = (one as OpenedStores).stores;
      const ann = user('ann');
      const bob = user('bob');
      expect(await presence.members('r')).toEqual([]);
      expect(await presence.join('r', ann, 'c1')).toEqual({ changed: true });
      expect(await presence.join('r', ann, 'c2')).toEqual({ changed: false });
      expect(await presence.join('r', ann, 'c1')).toEqual({ changed: false });
      expect(await presence.join('r', bob, 'c3')).toEqual({ changed: true });
      expect(await presence.join('s', bob, 'c3')).toEqual({ changed: true });
      const members = await presence.members('r');
      expect(members.map((m) => m.id).sort()).toEqual([ann.id, bob.id]);
      expect(members.find((m) => m.id === ann.id)).toEqual(ann);
      expect(await presence.occupied()).toEqual(
        new Map([
          ['r', 2],
          ['s', 1],
        ]),
      );
      expect(await presence.leave('r', ann, 'c1')).toEqual({ changed: false });
      expect(await presence.leave('r', ann, 'c1')).toEqual({ changed: false });
      expect(await presence.leave('r', ann, 'c2')).toEqual({ changed: true });
      expect(await presence.leave('r', ann, 'never-joined')).toEqual({ changed: false });
      expect((await presence.members('r')).map((m) => m.id)).toEqual([bob.id]);
      await presence.leave('s', bob, 'c3');
      expect(await presence.occupied()).toEqual(new Map([['r', 1]]));
    });

    if (harness.shared)
      describe('across instances', () => {
        it('gives concurrent appends from two instances distinct, consecutive seqs', async () => {
          const [a, b] = (await open(2)) as [OpenedStores, OpenedStores];
          const sends = [];
          for (let i = 0; i < 20; i++) {
            sends.push(a.stores.history.append(message('busy', `a${i}`)));
            sends.push(b.stores.history.append(message('busy', `b${i}`)));
          }
          const seqs = (await Promise.all(sends)).map((m) => m.seq).sort((x, y) => x - y);
          expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
          const page = await b.stores.history.read('busy', { limit: 100 });
          expect(page.messages.map((m) => m.seq)).toEqual(seqs);
          expect(await a.stores.history.lastSeq('busy')).toBe(40);
        });

        it('counts a user first and last connection whichever instance holds them', async () => {
          const [a, b] = (await open(2)) as [OpenedStores, OpenedStores];
          const ann = user('ann');
          expect(await a.stores.presence.join('r', ann, 'c1')).toEqual({ changed: true });
          expect(await b.stores.presence.join('r', ann, 'c2')).toEqual({ changed: false });
          expect(await b.stores.presence.members('r')).toEqual([ann]);
          expect(await a.stores.presence.occupied()).toEqual(new Map([['r', 1]]));
          expect(await a.stores.presence.leave('r', ann, 'c1')).toEqual({ changed: false });
          expect(await a.stores.presence.members('r')).toEqual([ann]);
          expect(await b.stores.presence.leave('r', ann, 'c2')).toEqual({ changed: true });
          expect(await a.stores.presence.members('r')).toEqual([]);
        });

        it('stops counting the connections of an instance that died, within its expiry', async () => {
          const [a, b] = (await open(2, [{ instanceTtlMs: 300 }])) as [OpenedStores, OpenedStores];
          const ann = user('ann');
          const bob = user('bob');
          await a.stores.presence.join('r', ann, 'c1');
          await b.stores.presence.join('r', bob, 'c2');
          expect((await b.stores.presence.members('r')).length).toBe(2);
          expect(a.crash, 'a shared store can be made to crash').toBeTypeOf('function');
          a.crash?.();
          const left = await pollUntil(
            async () => {
              const members = await b.stores.presence.members('r');
              return members.length === 1 && members;
            },
            'the dead instance connection to stop counting',
            { ms: 5_000, intervalMs: 50 },
          );
          expect(left).toEqual([bob]);
          expect(await b.stores.presence.occupied()).toEqual(new Map([['r', 1]]));
          // ann connecting again, to a live instance, is her first connection again
          expect(await b.stores.presence.join('r', ann, 'c3')).toEqual({ changed: true });
        });
      });
  });
}
