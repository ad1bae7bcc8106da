/**
 * The webhook log on a user's dashboard, over the app's Socket.IO face: `webhooks` answers with
 * the deliveries of the asking user's own notifications (this instance's log), and each change to
 * one of them is pushed as `webhook` to that user's room, `user:<id>` (through the adapter, so
 * with `--redis` a page on any instance sees it). The rule is the inbox's: a user sees what was
 * addressed to them, nothing else; the whole log, with URLs, is the senders' (`GET /webhooks`).
 */
import { recipientKey } from '@socketlab/distributed';
import type { Server } from 'socket.io';
import {
  MAX_WEBHOOK_VIEWS,
  NOTIFY_EVENTS,
  type WebhookDeliveryView,
  type WebhooksReply,
} from '../contract.ts';
import { lastAck } from './sockets.ts';
import type { Webhooks } from './webhooks.ts';

/** Answers `webhooks` on every socket of `io` (with `configured: false` when `webhooks` is absent). */
export function attachWebhookEvents(io: Server, webhooks: Webhooks | undefined): void {
  io.on('connection', (socket) => {
    const user = (socket.data as { user: string }).user;
    socket.on(NOTIFY_EVENTS.webhooks, (...args: unknown[]) => {
      const ack = lastAck(args);
      if (ack === undefined) return;
      if (args.length !== 1) {
        ack({ ok: false, error: 'INVALID_REQUEST', message: 'webhooks takes (ack)' });
        return;
      }
      const reply: WebhooksReply = {
        configured: webhooks !== undefined,
        deliveries: webhooks?.forUser(user, MAX_WEBHOOK_VIEWS) ?? [],
      };
      ack({ ok: true, ...reply });
    });
  });
}

/** Pushes a delivery's change to `user`'s sockets (the `onChange` of the app's webhooks). */
export function pushWebhookView(io: Server, user: string, view: WebhookDeliveryView): void {
  io.to(recipientKey({ user })).emit(NOTIFY_EVENTS.webhook, view);
}
