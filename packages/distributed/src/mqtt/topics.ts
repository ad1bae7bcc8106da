/**
 * MQTT topic names and topic filters: what is valid, and which filters match which names. Pure.
 *
 * A topic name (what a message is published to) is levels split by `/`; a filter (what a client
 * subscribes to) may also use `+` for exactly one level and `#`, last, for any number of levels
 * (including none: `a/#` matches `a`). Filters that start with a wildcard do not match names that
 * start with `$` (`$SYS/…`, broker statistics).
 *
 * @see https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718106 (§4.7 Topic Names and Topic Filters)
 * @see https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901241 (§4.7, MQTT 5)
 */

/** The longest topic in UTF-8 bytes: its length is a two-byte prefix (MQTT §1.5.4). */
export const MAX_TOPIC_BYTES = 65_535;

/** True when `topic` may be published to: non-empty, no wildcards, no NUL, at most 65,535 bytes. */
export function isValidTopicName(topic: string): boolean {
  return (
    typeof topic === 'string' &&
    topic.length > 0 &&
    !topic.includes('+') &&
    !topic.includes('#') &&
    !topic.includes('\u0000') &&
    Buffer.byteLength(topic) <= MAX_TOPIC_BYTES
  );
}

/** True when `filter` may be subscribed to: `+` and `#` each fill a whole level, `#` only last. */
export function isValidTopicFilter(filter: string): boolean {
  if (typeof filter !== 'string' || filter.length === 0 || filter.includes('\u0000')) return false;
  if (Buffer.byteLength(filter) > MAX_TOPIC_BYTES) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level === '#') return i === levels.length - 1;
    if (level === '+') return true;
    return !level.includes('+') && !level.includes('#');
  });
}

/**
 * Whether a message published to `topic` is delivered to a subscription on `filter`.
 * Both must be valid (see {@link isValidTopicFilter}, {@link isValidTopicName}); invalid ones never match.
 * @example matchTopic('sensors/+/temp', 'sensors/kitchen/temp') // true
 * @example matchTopic('sensors/#', 'sensors') // true: '#' also matches the parent level
 */
export function matchTopic(filter: string, topic: string): boolean {
  if (!isValidTopicFilter(filter) || !isValidTopicName(topic)) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
