/**
 * The guest login (`POST /api/session`) and the session kept in `sessionStorage`, so a reload of
 * the tab resumes with the same token and rooms rather than asking for a nickname again.
 */
import type { HttpRefusal, SessionRequest, SessionResponse } from '../../src/contract.ts';

const KEY = 'socketlab-chat';

/** What a tab keeps across reloads. */
export interface SavedSession {
  readonly session: SessionResponse;
  /** The rooms it was in (the lobby included). */
  readonly rooms: string[];
}

/** The saved session, unless there is none, it is unreadable or its token has expired. */
export function loadSession(now = Date.now()): SavedSession | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as SavedSession | null;
    if (saved === null || typeof saved.session?.token !== 'string') return undefined;
    if (saved.session.expiresAt <= now) return undefined;
    return { session: saved.session, rooms: Array.isArray(saved.rooms) ? saved.rooms : [] };
  } catch {
    return undefined;
  }
}

export function saveSession(saved: SavedSession): void {
  sessionStorage.setItem(KEY, JSON.stringify(saved));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/** Asks the server for a guest token; throws an Error whose message is the server's reason. */
export async function requestSession(nick: string): Promise<SessionResponse> {
  const body: SessionRequest = { nick };
  let response: Response;
  try {
    response = await fetch('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new Error('The server cannot be reached. Try again in a moment.');
  }
  const answer = (await response.json().catch(() => undefined)) as
    | SessionResponse
    | HttpRefusal
    | undefined;
  if (response.ok && answer !== undefined && 'token' in answer) return answer;
  const reason =
    answer !== undefined && 'error' in answer
      ? answer.error.reason
      : `the server answered ${response.status}`;
  throw new Error(reason);
}
