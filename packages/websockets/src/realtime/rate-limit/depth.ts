/**
 * A bounded, iterative measure of a decoded payload's nesting: the flood guard refuses a packet
 * nested past a limit before any handler sees it, because socket.io 4.8.4 walks a payload
 * recursively when it is emitted (or acknowledged) again, and a deep one overflows the stack.
 */

/** The outcome of {@link measurePayload}. */
export interface PayloadMeasure {
  /** `'ok'`, or the first limit passed. */
  readonly verdict: 'ok' | 'too-deep' | 'too-many-nodes' | 'not-finite';
  /** The deepest level seen (stops counting at the limit). */
  readonly depth: number;
  /** Values visited (stops at the limit). */
  readonly nodes: number;
}

/**
 * Walks `value` with an explicit stack (never recursion, so the walk itself cannot overflow),
 * counting arrays' and plain objects' nesting and every value visited, and stops at the first
 * limit passed, or at a number that is not finite (JSON cannot carry one: it is what a number
 * too large for a double, `1e999`, decodes to). A top-level array of scalars has depth 1. Binary (`Buffer`, typed arrays,
 * `ArrayBuffer`) counts as one leaf.
 * @example measurePayload([{ a: [1] }], { maxDepth: 2, maxNodes: 100 }).verdict // 'too-deep'
 */
export function measurePayload(
  value: unknown,
  limits: { readonly maxDepth: number; readonly maxNodes: number },
): PayloadMeasure {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  let deepest = 0;
  let nodes = 0;
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    nodes++;
    if (nodes > limits.maxNodes) return { verdict: 'too-many-nodes', depth: deepest, nodes };
    // JSON has no NaN or Infinity: one here came from a number too large to represent (1e999).
    if (typeof current === 'number' && !Number.isFinite(current)) {
      return { verdict: 'not-finite', depth: deepest, nodes };
    }
    if (typeof current !== 'object' || current === null) continue;
    if (ArrayBuffer.isView(current) || current instanceof ArrayBuffer) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (level > limits.maxDepth) return { verdict: 'too-deep', depth: deepest, nodes };
    const children = Array.isArray(current) ? current : Object.values(current);
    // Counted before they are pushed, so the stack never holds more than maxNodes entries.
    if (nodes + stack.length + children.length > limits.maxNodes) {
      return {
        verdict: 'too-many-nodes',
        depth: deepest,
        nodes: nodes + stack.length + children.length,
      };
    }
    for (const child of children) stack.push({ value: child, depth: level });
  }
  return { verdict: 'ok', depth: deepest, nodes };
}
