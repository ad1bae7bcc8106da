import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/contract.ts';
import { RoomFeed } from '../../src/tcp/feed.ts';

const at = (room: string, seq: number): ChatMessage => ({
  id: `${room}-${seq}`,
  room,
  seq,
  from: { id: 'u', nick: 'u', via: 'web' },
  kind: 'text',
  text: `m${seq}`,
  at: seq,
});
const seqs = (messages: ChatMessage[]): number[] => messages.map((m) => m.seq);

describe('RoomFeed shows each message of a room once, in order', () => {
  it('shows live messages once', () => {
    const feed = new RoomFeed();
    expect(seqs(feed.live(at('dev', 1)))).toEqual([1]);
    expect(seqs(feed.live(at('dev', 1)))).toEqual([]);
    expect(seqs(feed.live(at('dev', 2)))).toEqual([2]);
    expect(feed.last('dev')).toBe(2);
  });

  it('holds live messages during a join and shows them after its history, without repeats', () => {
    const feed = new RoomFeed();
    feed.beginJoin('dev');
    expect(feed.live(at('dev', 3))).toEqual([]);
    expect(feed.live(at('dev', 4))).toEqual([]);
    expect(seqs(feed.endJoin([at('dev', 1), at('dev', 2), at('dev', 3)]))).toEqual([1, 2, 3, 4]);
    expect(seqs(feed.live(at('dev', 4)))).toEqual([]);
  });

  it('shows only what is after the cursor on a resume, and everything after a reset', () => {
    const feed = new RoomFeed();
    feed.take([at('dev', 1), at('dev', 2)]);
    feed.beginJoin('dev');
    expect(seqs(feed.endJoin([at('dev', 2), at('dev', 3)]))).toEqual([3]);
    feed.reset('dev');
    expect(seqs(feed.take([at('dev', 1)]))).toEqual([1]);
  });

  it('drops what was held by a join that failed', () => {
    const feed = new RoomFeed();
    feed.beginJoin('dev');
    feed.live(at('dev', 1));
    feed.cancelJoin();
    expect(feed.last('dev')).toBe(0);
    expect(seqs(feed.live(at('dev', 2)))).toEqual([2]);
  });
});
