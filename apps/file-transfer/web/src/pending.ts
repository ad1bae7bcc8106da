/**
 * Uploads not finished, remembered in localStorage across reloads. After a reload a page cannot
 * reopen a file by itself, so the page lists these as "select it again to resume"; the same file
 * picked or dropped again has the same id, and continues from where the receiver's copy ends.
 */

const KEY = 'socketlab-ft:pending';
/** How many unfinished uploads are remembered (the oldest are forgotten first). */
const MAX_PENDING = 50;

export interface PendingUpload {
  id: string;
  name: string;
  size: number;
  acked: number;
}

export function readPending(): PendingUpload[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    if (!Array.isArray(value)) return [];
    return value.filter(
      (p): p is PendingUpload =>
        typeof p?.id === 'string' &&
        typeof p.name === 'string' &&
        typeof p.size === 'number' &&
        typeof p.acked === 'number',
    );
  } catch {
    return [];
  }
}

function write(list: PendingUpload[]): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(list.slice(-MAX_PENDING)));
  } catch {
    // Storage full or refused (private mode): resuming still works, the list just is not shown.
  }
}

export function rememberPending(entry: PendingUpload): void {
  write([...readPending().filter((p) => p.id !== entry.id), entry]);
}

export function forgetPending(id: string): void {
  write(readPending().filter((p) => p.id !== id));
}
