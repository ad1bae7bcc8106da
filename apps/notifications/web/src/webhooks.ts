/**
 * The webhooks panel: the deliveries of the signed-in user's own notifications to the server's
 * webhooks, newest first, updated as each attempt ends. It asks for the list (`webhooks`) on every
 * (re)connection and applies each `webhook` push, in either order: a row is replaced only by news
 * at least as new, and rows sort by delivery id (`<notification id>.<n>`, and notification ids sort
 * by time), so a push that overtakes the list lands where the list would have put it.
 * Everything goes in with textContent: titles and error texts come from elsewhere.
 */
import type { Socket } from 'socket.io-client';
import {
  type ClientToServerEvents,
  MAX_WEBHOOK_VIEWS,
  NOTIFY_EVENTS,
  type ServerToClientEvents,
  type WebhookDeliveryView,
} from '../../src/contract.ts';

/** Bound of the `webhooks` request. */
const ASK_TIMEOUT_MS = 10_000;

/** What the panel calls each state: `pending` is `sending` before the first answer, then `retrying`. */
export function stateLabel(
  view: WebhookDeliveryView,
): 'sending' | 'retrying' | 'delivered' | 'failed' {
  if (view.state === 'delivered') return 'delivered';
  if (view.state === 'dead') return 'failed';
  return view.attempts === 0 ? 'sending' : 'retrying';
}

const lastAnswer = (view: WebhookDeliveryView): string =>
  view.status !== null ? `HTTP ${view.status}` : (view.error ?? '—');

function cell(text: string, className = ''): HTMLTableCellElement {
  const td = document.createElement('td');
  td.className = className;
  td.textContent = text;
  return td;
}

function renderRow(view: WebhookDeliveryView): HTMLTableRowElement {
  const row = document.createElement('tr');
  const label = stateLabel(view);
  row.dataset.id = view.id;
  row.dataset.state = label;
  const state = cell(label, 'state');
  state.dataset.state = label;
  const title = cell(view.title, 'title');
  title.title = view.notification;
  const answer = cell(lastAnswer(view));
  if (view.error !== null) answer.title = view.error;
  row.append(
    cell(view.host),
    title,
    cell(String(view.attempts)),
    answer,
    state,
    cell(new Date(view.updatedAt).toLocaleTimeString()),
  );
  return row;
}

/** Shows the panel and keeps it current over `socket` (the inbox's). */
export function showWebhooks(socket: Socket<ServerToClientEvents, ClientToServerEvents>): void {
  const note = document.getElementById('webhooks-note') as HTMLElement;
  const table = document.getElementById('webhooks-table') as HTMLElement;
  const rows = document.getElementById('webhook-rows') as HTMLElement;
  const shown = new Map<string, { view: WebhookDeliveryView; row: HTMLTableRowElement }>();
  let configured: boolean | undefined;

  const describe = () => {
    table.hidden = shown.size === 0;
    note.textContent =
      configured === false
        ? 'No webhooks are configured on this server.'
        : shown.size === 0
          ? 'No webhook deliveries of your notifications yet.'
          : 'Deliveries of your notifications to this server’s webhooks, newest first.';
  };

  /** Shows `view`, unless its row already has newer news. */
  const apply = (view: WebhookDeliveryView) => {
    const old = shown.get(view.id);
    if (old !== undefined && old.view.updatedAt > view.updatedAt) return;
    const row = renderRow(view);
    if (old !== undefined) old.row.replaceWith(row);
    else {
      const older = [...rows.children].find((r) => ((r as HTMLElement).dataset.id ?? '') < view.id);
      rows.insertBefore(row, older ?? null);
    }
    shown.set(view.id, { view, row });
    while (shown.size > MAX_WEBHOOK_VIEWS) {
      const oldest = rows.lastElementChild as HTMLElement | null;
      if (oldest === null) break;
      shown.delete(oldest.dataset.id ?? '');
      oldest.remove();
    }
  };

  socket.on(NOTIFY_EVENTS.webhook, (view) => {
    if (configured === undefined) configured = true; // a push before the list: there are webhooks
    apply(view);
    describe();
  });
  socket.on('connect', () => {
    socket
      .timeout(ASK_TIMEOUT_MS)
      .emitWithAck(NOTIFY_EVENTS.webhooks)
      .then(
        (reply) => {
          if (!reply.ok) return;
          configured = reply.configured;
          for (const view of reply.deliveries) apply(view);
          describe();
        },
        () => {
          if (shown.size === 0) note.textContent = 'Could not load the webhook deliveries.';
        },
      );
  });
}
