/**
 * The dashboard's DOM: the list (newest first), toasts, topics and the status line. Text goes in
 * with textContent only: a notification's title and body are someone else's input.
 */
import type { AppNotification } from '../../src/contract.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** How long a toast stays, ms. */
const TOAST_MS = 6_000;

function el(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const priorityOf = (n: AppNotification) => n.data?.priority ?? 'normal';

/** One list item; `onRead` when its button is pressed. */
export function renderItem(
  n: AppNotification,
  read: boolean,
  onRead: (id: string) => void,
): HTMLElement {
  const item = el('li', 'item');
  item.dataset.id = n.id;
  item.dataset.priority = priorityOf(n);
  item.dataset.read = String(read);
  item.append(el('span', 'title', n.title));
  const where = n.topic !== undefined ? `#${n.topic}` : 'to you';
  const meta = el(
    'span',
    'meta',
    `${where} · ${priorityOf(n)} · ${new Date(n.at).toLocaleTimeString()}${n.data?.sender ? ` · from ${n.data.sender}` : ''}`,
  );
  item.append(meta);
  if (n.body !== undefined) item.append(el('p', 'text', n.body));
  const button = el('button', 'secondary', read ? 'Read' : 'Mark read') as HTMLButtonElement;
  button.type = 'button';
  button.disabled = read;
  button.setAttribute('aria-label', `Mark “${n.title}” read`);
  button.addEventListener('click', () => onRead(n.id));
  item.append(button);
  return item;
}

/** Puts `n` at the top of the list (the list keeps at most `max`). */
export function prepend(node: HTMLElement, max: number): void {
  const list = $('list');
  list.prepend(node);
  while (list.children.length > max) list.lastElementChild?.remove();
  $('empty').hidden = true;
}

export function markRead(id: string): void {
  const item = document.querySelector<HTMLElement>(`#list li[data-id="${CSS.escape(id)}"]`);
  if (item === null) return;
  item.dataset.read = 'true';
  const button = item.querySelector('button');
  if (button !== null) {
    button.textContent = 'Read';
    button.disabled = true;
  }
}

export function setUnread(count: number): void {
  $('unread').textContent = count > 0 ? String(count) : '';
}

/** A toast for `n` (none for `low`); a `high` one is announced at once (role=alert). */
export function toast(n: AppNotification): void {
  if (priorityOf(n) === 'low') return;
  const box = el('div', 'toast');
  box.dataset.priority = priorityOf(n);
  box.setAttribute('role', priorityOf(n) === 'high' ? 'alert' : 'status');
  const text = el('span', 'toast-text', n.body === undefined ? n.title : `${n.title} — ${n.body}`);
  const close = el('button', '', '×') as HTMLButtonElement;
  close.type = 'button';
  close.setAttribute('aria-label', 'Dismiss');
  close.addEventListener('click', () => box.remove());
  box.append(text, close);
  $('toasts').append(box);
  setTimeout(() => box.remove(), TOAST_MS);
}

export function setStatus(state: 'online' | 'offline' | 'connecting', text: string): void {
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
}

/** The followed topics, each with an Unsubscribe button. */
export function renderTopics(topics: readonly string[], onLeave: (topic: string) => void): void {
  const list = $('topic-list');
  list.replaceChildren(
    ...topics.map((topic) => {
      const li = el('li', '');
      const leave = el('button', 'secondary', 'Unsubscribe') as HTMLButtonElement;
      leave.type = 'button';
      leave.setAttribute('aria-label', `Unsubscribe from ${topic}`);
      leave.addEventListener('click', () => onLeave(topic));
      li.append(el('span', '', `#${topic}`), leave);
      return li;
    }),
  );
}
