/**
 * Each room's messages as one `nc` user is shown them, pure: every message once, in `seq` order,
 * whether it came live, in a join's history or in a resume after a drop. Messages that arrive live
 * while a join is under way wait until its answer (the history) has been shown.
 */
import type { ChatMessage } from '../contract.ts';

/** The per-room cursor of one user, and the messages held back during a join. */
export class RoomFeed {
  readonly #last = new Map<string, number>();
  #joining: string | undefined;
  #held: ChatMessage[] = [];

  /** The newest `seq` shown of `room` (0 when none). */
  last(room: string): number {
    return this.#last.get(room) ?? 0;
  }

  /** Forgets `room`'s cursor (its history started over on the server). */
  reset(room: string): void {
    this.#last.delete(room);
  }

  /** Holds live messages of `room` until {@link endJoin}. */
  beginJoin(room: string): void {
    this.#joining = room;
    this.#held = [];
  }

  /**
   * A live message of `room` (the room the user is in): those to show now, oldest first — none
   * while `room` is being joined (held), none when already shown.
   */
  live(message: ChatMessage): ChatMessage[] {
    if (message.room === this.#joining) {
      this.#held.push(message);
      return [];
    }
    return this.take([message]);
  }

  /** Ends a join: `history` (the answer's messages) and what was held, each once, in order. */
  endJoin(history: readonly ChatMessage[]): ChatMessage[] {
    const room = this.#joining;
    const held = this.#held;
    this.#joining = undefined;
    this.#held = [];
    return this.take([...history, ...held.filter((message) => message.room === room)]);
  }

  /** Drops a join that failed (what was held is not shown). */
  cancelJoin(): void {
    this.#joining = undefined;
    this.#held = [];
  }

  /** The messages not shown yet, in `seq` order, and moves the cursors past them. */
  take(messages: readonly ChatMessage[]): ChatMessage[] {
    const fresh: ChatMessage[] = [];
    for (const message of [...messages].sort((a, b) => a.seq - b.seq)) {
      if (message.seq <= this.last(message.room)) continue;
      this.#last.set(message.room, message.seq);
      fresh.push(message);
    }
    return fresh;
  }
}
