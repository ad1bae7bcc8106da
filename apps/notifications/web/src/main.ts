/**
 * The dashboard: signs in with a user token (from the link's #token=, kept in sessionStorage),
 * connects with the app's client (catch-up after the saved cursor, each notification once), and
 * shows a toast and a list entry per notification; "Mark read" sends a read receipt. The webhooks
 * panel shows the deliveries of the user's notifications to the server's webhooks.
 */
import { connectInbox, type Inbox } from '../../src/client.ts';
import type { AppNotification } from '../../src/contract.ts';
import { load, MAX_SHOWN, type Saved, save, tokenUser } from './saved.ts';
import { showTelemetry } from './telemetry.ts';
import {
  markRead,
  prepend,
  renderItem,
  renderTopics,
  setStatus,
  setUnread,
  toast,
} from './view.ts';
import { showWebhooks } from './webhooks.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const TOPIC = /^[A-Za-z0-9_.:@-]{1,64}$/;

function tokenFromPage(): string | null {
  const hash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (hash) {
    sessionStorage.setItem('socketlab-notify:token', hash);
    history.replaceState(null, '', location.pathname); // the token leaves the address bar
    return hash;
  }
  return sessionStorage.getItem('socketlab-notify:token');
}

function start(token: string, user: string): void {
  $('signin-view').hidden = true;
  $('dashboard-view').hidden = false;
  $('whoami').textContent = `signed in as ${user}`;
  const saved: Saved = load(user);
  const read = new Set(saved.read);
  let inbox: Inbox | undefined;

  const unread = () => saved.items.filter((n) => !read.has(n.id)).length;
  const persist = () => {
    saved.lastId = inbox?.lastId ?? saved.lastId;
    saved.read = [...read].slice(-MAX_SHOWN * 2);
    save(user, saved);
    setUnread(unread());
  };
  const onRead = (id: string) => {
    read.add(id);
    markRead(id);
    persist();
    void inbox?.read(id).catch(() => {});
  };
  const show = (n: AppNotification, live: boolean) => {
    prepend(renderItem(n, read.has(n.id), onRead), MAX_SHOWN);
    if (live) toast(n);
  };

  for (const n of saved.items) show(n, false);
  setUnread(unread());
  const drawTopics = () =>
    renderTopics(saved.topics, (topic) => {
      void inbox?.unsubscribe(topic).then((reply) => {
        if (!reply.ok) return;
        saved.topics = saved.topics.filter((t) => t !== topic);
        persist();
        drawTopics();
      });
    });
  drawTopics();

  setStatus('connecting', 'Connecting…');
  inbox = connectInbox(location.origin, {
    token,
    after: saved.lastId,
    topics: saved.topics,
    onNotification: (n) => {
      saved.items.push(n);
      if (saved.items.length > MAX_SHOWN) saved.items.shift();
      show(n, true);
      persist();
    },
    onResumed: (count, error) => {
      if (error !== undefined) setStatus('offline', `Could not catch up: ${error}`);
      else setStatus('online', count > 0 ? `Connected · ${count} missed` : 'Connected');
    },
  });
  inbox.socket.on('disconnect', () => setStatus('offline', 'Offline · reconnecting…'));
  inbox.socket.on('connect_error', (error) =>
    setStatus(
      'offline',
      /unauthorized/.test(error.message)
        ? 'Your token was refused: sign in again'
        : 'Offline · reconnecting…',
    ),
  );

  showWebhooks(inbox.socket);
  showTelemetry(token);

  $('topic-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('topic');
    const topic = input.value.trim();
    const error = $('topic-error');
    if (!TOPIC.test(topic)) {
      error.textContent = 'A topic is 1–64 letters, digits, or _ . : @ -';
      input.setAttribute('aria-invalid', 'true');
      return;
    }
    input.removeAttribute('aria-invalid');
    error.textContent = '';
    void inbox?.subscribe(topic).then(
      (reply) => {
        if (!reply.ok) {
          error.textContent = `Could not subscribe: ${reply.error}`;
          return;
        }
        if (!saved.topics.includes(topic)) saved.topics.push(topic);
        input.value = '';
        persist();
        drawTopics();
      },
      () => {
        error.textContent = 'Could not subscribe: no answer from the server';
      },
    );
  });
}

const token = tokenFromPage();
const user = token === null ? undefined : tokenUser(token);
if (token !== null && user !== undefined) {
  start(token, user);
} else {
  $('signin-view').hidden = false;
  $('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $<HTMLInputElement>('token').value.trim();
    const who = tokenUser(value);
    if (who === undefined) {
      $('signin-error').textContent = 'That is not a user token (a JWT from POST /tokens).';
      return;
    }
    sessionStorage.setItem('socketlab-notify:token', value);
    start(value, who);
  });
}
