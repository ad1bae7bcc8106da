/**
 * The IPC side of a benchmark peer (bench/peer.ts, bench/realtime-peer.ts): each request from the
 * parent, `{ id, op, ... }`, gets one answer `{ id, ... }`, or `{ id, error }` when its handler
 * throws; the peer says it is ready with `{ id: 0, ready: true, ... }` and exits with its parent.
 */
export type Request = { id: number; op: string } & Record<string, unknown>;

export function servePeerRequests(
  handle: (request: Request) => Promise<object>,
  hello: Record<string, unknown>,
): void {
  process.on('message', (request: Request) => {
    handle(request).then(
      (answer) => process.send?.({ id: request.id, ...answer }),
      (err: unknown) => process.send?.({ id: request.id, error: String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ id: 0, ready: true, ...hello });
}

/**
 * Opens `count` connections with `open`, `batch` at a time, and resolves with how many failed
 * and the first failure's text ('' when none did).
 */
export async function openInBatches<T>(
  count: number,
  batch: number,
  open: () => Promise<T>,
  opened: (connection: T) => void,
): Promise<{ failed: number; firstFailure: string }> {
  let failed = 0;
  let firstFailure = '';
  for (let i = 0; i < count; i += batch) {
    const round = Array.from({ length: Math.min(batch, count - i) }, () =>
      open().then(opened, (err: unknown) => {
        failed++;
        if (firstFailure === '') firstFailure = String(err);
      }),
    );
    await Promise.all(round);
  }
  return { failed, firstFailure };
}
