/** Why and how a managed connection closed: the reasons, the events, the summary. */

/**
 * Why a managed connection closed: the peer closed it or it broke (`'peer'`), the application
 * closed it (`'closed'`), or the manager did — nothing received for `idleTimeoutMs`
 * (`'idle-timeout'`), heartbeats unanswered (`'heartbeat-missed'`), past its high-water mark
 * under `'disconnect'` (`'slow-consumer'`), or a shutdown (`'shutdown'`).
 */
export type ConnectionCloseReason =
  | 'peer'
  | 'closed'
  | 'idle-timeout'
  | 'heartbeat-missed'
  | 'slow-consumer'
  | 'shutdown';

/** Every {@link ConnectionCloseReason}. */
export const CONNECTION_CLOSE_REASONS: readonly ConnectionCloseReason[] = Object.freeze([
  'peer',
  'closed',
  'idle-timeout',
  'heartbeat-missed',
  'slow-consumer',
  'shutdown',
]);

/** The reasons an application may give {@link ManagedConnection.destroy}. */
export type ApplicationCloseReason = Extract<
  ConnectionCloseReason,
  'closed' | 'heartbeat-missed' | 'idle-timeout'
>;

/** @internal The reasons {@link ManagedConnection.destroy} accepts. */
export const APPLICATION_CLOSE_REASONS: readonly ApplicationCloseReason[] = [
  'closed',
  'heartbeat-missed',
  'idle-timeout',
];

/** The events of a {@link ManagedConnection}. */
export interface ManagedConnectionEvents {
  /** One message from the peer (a frame, or a chunk of a byte stream). */
  message: [data: Buffer];
  /**
   * Closed, once. `error` is the manager's reason as a `MultiplexingError` (idle, heartbeat, slow
   * consumer, shutdown), or the transport's failure for `'peer'`.
   */
  close: [reason: ConnectionCloseReason, error: Error | undefined];
}

/** How a close ended: flushed and closed in time, or cut (destroyed) with bytes left unsent. */
export interface CloseSummary {
  /** True when the manager destroyed it (a deadline, a missed heartbeat) rather than it closing. */
  readonly cut: boolean;
  /** Bytes still queued or in the transport's buffer when it closed or was cut. */
  readonly unsentBytes: number;
}
