export {
  DEAD_LETTER_ERROR_HEADER,
  DEAD_LETTER_REASON_HEADER,
  type DeadLetterReason,
  RETRY_COUNT_HEADER,
  type WorkQueueNames,
  workQueueNames,
} from './topology.ts';
export {
  type Consumer,
  createWorkQueue,
  type DeadLetter,
  type Job,
  type JobHandler,
  WorkQueue,
  type WorkQueueEvents,
  type WorkQueueOptions,
} from './work-queue.ts';
