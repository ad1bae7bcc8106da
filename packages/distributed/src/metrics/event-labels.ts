/**
 * The label every event name beyond the bound is counted under. Prometheus keeps one time series
 * per distinct label set, so a label taken from client input must be bounded or a client sending
 * random event names grows the server's memory (and the monitoring system's) without end.
 */
export const OTHER_EVENT_LABEL = 'other';

/** The longest event name kept as a label of its own, in UTF-16 code units; longer ones are `other`. */
export const MAX_EVENT_LABEL_LENGTH = 64;

/**
 * Maps event names to a bounded set of label values: the names in `allowed` when a list is given
 * (anything else is {@link OTHER_EVENT_LABEL}), otherwise the first `maxNames` distinct names seen.
 * A name that is not a string, is empty, or is longer than {@link MAX_EVENT_LABEL_LENGTH} is
 * always `other`. Pure and synchronous; one per metrics set.
 */
export class EventLabeler {
  readonly #allowed: ReadonlySet<string> | undefined;
  readonly #learned = new Set<string>();
  readonly #maxNames: number;

  constructor(maxNames: number, allowed?: readonly string[]) {
    this.#maxNames = maxNames;
    this.#allowed = allowed === undefined ? undefined : new Set(allowed);
  }

  /** The label value for `name`. */
  label(name: unknown): string {
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_EVENT_LABEL_LENGTH) {
      return OTHER_EVENT_LABEL;
    }
    if (this.#allowed !== undefined) return this.#allowed.has(name) ? name : OTHER_EVENT_LABEL;
    if (this.#learned.has(name)) return name;
    if (this.#learned.size >= this.#maxNames) return OTHER_EVENT_LABEL;
    this.#learned.add(name);
    return name;
  }

  /** How many names have a label of their own (not counting `other`). */
  get size(): number {
    return this.#allowed?.size ?? this.#learned.size;
  }
}
