/**
 * One timer for many deadlines: the manager's idle timeouts and heartbeats. Every connection of a
 * manager has the same interval, so deadlines set "now + interval" come in time order: they form a
 * FIFO, kept as a doubly linked list, and only its head needs a timer (Node's own timer lists work
 * this way). A connection costs one small node instead of a `Timeout` and a closure; moving it to
 * the tail (a message arrived: its idle deadline moved) is O(1), and so is taking it out.
 */
import type { ConnectionClock } from './clock.ts';

/** One owner's place in a {@link DeadlineList}. */
export class DeadlineNode<T> {
  readonly owner: T;
  /** When it is due, on the list's clock, in whole milliseconds. */
  due = 0;
  prev: DeadlineNode<T> | undefined = undefined;
  next: DeadlineNode<T> | undefined = undefined;

  constructor(owner: T) {
    this.owner = owner;
  }
}

/**
 * Deadlines in time order with one clock timer, armed for the head. `onDue(owner)` is called for
 * each node whose deadline passed, in order, after the node was taken out (it may put it back).
 */
export class DeadlineList<T> {
  readonly #clock: ConnectionClock;
  readonly #onDue: (owner: T) => void;
  #head: DeadlineNode<T> | undefined;
  #tail: DeadlineNode<T> | undefined;
  #size = 0;
  #timer: unknown;
  /** True while due nodes are handed out: the timer is armed once, after. */
  #expiring = false;
  readonly #fire = (): void => this.#expire();

  constructor(clock: ConnectionClock, onDue: (owner: T) => void) {
    this.#clock = clock;
    this.#onDue = onDue;
  }

  /** Nodes linked now. */
  get size(): number {
    return this.#size;
  }

  /**
   * Puts `node` at the tail, due at `due` (taken out first if linked). A deadline earlier than
   * the tail's (a clock that went back) is moved up to it, so the list stays in order.
   */
  schedule(node: DeadlineNode<T>, at: number): void {
    // Whole milliseconds (as timers count them), rounded up: a small integer is stored in the
    // node itself, where a fraction would take a heap number of 16 bytes per node.
    const due = Math.ceil(at);
    if (this.#has(node)) {
      if (node === this.#tail) {
        node.due = Math.max(due, node.prev?.due ?? due);
        return;
      }
      this.#unlink(node);
    }
    const tail = this.#tail;
    node.due = tail === undefined ? due : Math.max(due, tail.due);
    node.prev = tail;
    node.next = undefined;
    if (tail === undefined) this.#head = node;
    else tail.next = node;
    this.#tail = node;
    this.#size++;
    if (this.#timer === undefined && !this.#expiring) this.#arm(node.due);
  }

  /** Takes `node` out (no-op when not linked); the timer stops with the last node. */
  remove(node: DeadlineNode<T>): void {
    if (!this.#has(node)) return;
    this.#unlink(node);
    if (this.#size === 0 && this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** True while `node` is in this list: it has a neighbour, or is the only one. */
  #has(node: DeadlineNode<T>): boolean {
    return node.prev !== undefined || this.#head === node;
  }

  #unlink(node: DeadlineNode<T>): void {
    const { prev, next } = node;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    node.prev = undefined;
    node.next = undefined;
    this.#size--;
  }

  #arm(due: number): void {
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, due - this.#clock.now()));
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    this.#expiring = true;
    try {
      // Bounded: each node is taken out once per pass; one put back is due after `now`, so at
      // the tail, past which the loop stops (the size at the start bounds it too).
      for (let left = this.#size; left > 0; left--) {
        const head = this.#head;
        if (head === undefined || head.due > now) break;
        this.#unlink(head);
        this.#onDue(head.owner);
      }
    } finally {
      this.#expiring = false;
      const head = this.#head;
      if (head !== undefined && this.#timer === undefined) this.#arm(head.due);
    }
  }
}
