export {
  type BroadcastOptions,
  type BroadcastResult,
  type BroadcastTarget,
  broadcast,
} from './fan-out.ts';
export {
  markQueueBlocked,
  OUTBOUND_QUEUE_DEFAULTS,
  OutboundQueue,
  type OutboundQueueOptions,
  type OutboundSink,
  resolveOutboundQueueOptions,
  type SendOutcome,
  SLOW_CONSUMER_POLICIES,
  type SlowConsumerPolicy,
  slowConsumerError,
} from './outbound-queue.ts';
