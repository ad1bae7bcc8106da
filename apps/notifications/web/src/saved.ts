/**
 * What the dashboard keeps in localStorage per user, so a reload or a new tab starts from where the
 * page was: the notifications shown (the newest 100), which were read, the topics followed, and the
 * cursor the next catch-up starts after.
 */
import type { AppNotification } from '../../src/contract.ts';

/** Notifications kept on the page. */
export const MAX_SHOWN = 100;

export interface Saved {
  lastId: string | null;
  items: AppNotification[];
  read: string[];
  topics: string[];
}

const key = (user: string) => `socketlab-notify:${user}`;

/** The saved state of `user`, or an empty one (also for anything unreadable). */
export function load(user: string): Saved {
  try {
    const value = JSON.parse(localStorage.getItem(key(user)) ?? 'null') as Partial<Saved> | null;
    return {
      lastId: typeof value?.lastId === 'string' ? value.lastId : null,
      items: Array.isArray(value?.items) ? value.items.slice(-MAX_SHOWN) : [],
      read: Array.isArray(value?.read) ? value.read.filter((id) => typeof id === 'string') : [],
      topics: Array.isArray(value?.topics) ? value.topics.filter((t) => typeof t === 'string') : [],
    };
  } catch {
    return { lastId: null, items: [], read: [], topics: [] };
  }
}

export function save(user: string, saved: Saved): void {
  try {
    localStorage.setItem(key(user), JSON.stringify(saved));
  } catch {
    // storage full or disabled: the page still works, it just starts over next time
  }
}

/** The `sub` of a JWT, read without checking it (the server checks it). */
export function tokenUser(token: string): string | undefined {
  try {
    const payload = JSON.parse(
      atob((token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')),
    );
    return typeof payload?.sub === 'string' ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}
