/**
 * The chat page: the nickname form, then one Socket.IO connection speaking src/contract.ts. It
 * joins the lobby (and, after a reload, the rooms the tab was in), keeps every joined room's
 * messages, and on each reconnect re-joins every room with `after` = the last `seq` it has, so
 * what was missed is filled in, in order, once.
 */
import { io, type Socket } from 'socket.io-client';
import {
  CHAT_APP_LIMITS,
  CHAT_SOCKET_PATH,
  type ChatClientEvents,
  type ChatRefusal,
  type ChatServerEvents,
  type JoinRequest,
  LOBBY,
  NICK_PATTERN,
  ROOM_NAME_PATTERN,
} from '../../src/contract.ts';
import { describeRefusal, parseComposed } from './notices.ts';
import {
  clearSession,
  loadSession,
  requestSession,
  type SavedSession,
  saveSession,
} from './session.ts';
import {
  applyHistory,
  applyJoined,
  applyLeft,
  applyMessage,
  applyPresence,
  applyRooms,
  applyTyping,
  type ChatState,
  createChatState,
  olderRequest,
  resumeRequests,
  setActive,
} from './state.ts';
import { createTypingThrottle } from './typing.ts';
import {
  announce,
  byId,
  renderActiveRoom,
  renderPresence,
  renderRooms,
  renderTyping,
  spokenMessage,
} from './view.ts';

type ChatSocket = Socket<ChatServerEvents, ChatClientEvents>;

/** How long an acknowledgement may take before the page says the request failed. */
const ACK_TIMEOUT_MS = 10_000;
/** How long a notice stays before it is cleared. */
const NOTICE_MS = 10_000;
const RECONNECTING = 'Connection lost — reconnecting…';

let state: ChatState = createChatState();
let saved: SavedSession | undefined;
let socket: ChatSocket | undefined;
let noticeTimer: ReturnType<typeof setTimeout> | undefined;
/** What the server said when it announced it was shutting down, until the next connect. */
let shutdown: string | undefined;
/** How many older messages one "show older" asks for: the server's own limit, from its welcome. */
let historyLimit: number = CHAT_APP_LIMITS.historyPerRoom;
const typing = createTypingThrottle();

function setBanner(text: string): void {
  byId('banner-text').textContent = text;
  byId('banner').classList.toggle('active', text !== '');
}

function setNotice(text: string): void {
  byId('notice').textContent = text;
  clearTimeout(noticeTimer);
  if (text !== '') noticeTimer = setTimeout(() => setNotice(''), NOTICE_MS);
}

function renderAll(): void {
  renderRooms(state, pickRoom);
  renderActiveRoom(state);
  renderPresence(state);
  renderTyping(state, Date.now());
}

function persist(): void {
  if (saved !== undefined) {
    saved = { session: saved.session, rooms: [...state.joined.keys()] };
    saveSession(saved);
  }
}

function showLogin(reason: string): void {
  byId('chat-view').hidden = true;
  byId('login-view').hidden = false;
  byId('logout').hidden = true;
  byId('whoami').textContent = '';
  byId('login-error').textContent = reason;
  byId<HTMLInputElement>('nick').focus();
}

function signOut(reason = ''): void {
  const old = socket;
  socket = undefined;
  old?.removeAllListeners();
  old?.disconnect();
  clearSession();
  saved = undefined;
  state = createChatState();
  setBanner('');
  setNotice('');
  showLogin(reason);
}

type AckedEvent = 'join' | 'leave' | 'send' | 'rooms' | 'history';
/** The arguments of a request, without its acknowledgement. */
type ArgsOf<E extends AckedEvent> =
  Parameters<ChatClientEvents[E]> extends [...infer A, unknown] ? A : never;
/** The answer a request's acknowledgement gets. */
type AnswerOf<E extends AckedEvent> =
  Parameters<ChatClientEvents[E]> extends [...unknown[], infer C]
    ? C extends (answer: infer R) => void
      ? R
      : never
    : never;

/** Emits a request and resolves with its answer, or a refusal when none came in time. */
function request<E extends AckedEvent>(event: E, ...args: ArgsOf<E>): Promise<AnswerOf<E>> {
  return new Promise((resolve) => {
    const s = socket;
    const timedOut: ChatRefusal = {
      ok: false,
      error: { code: 'REALTIME_ERR_ACK_TIMEOUT', reason: 'the server did not answer in time' },
    };
    // Signed out meanwhile: nothing to ask.
    if (s === undefined) return resolve(timedOut as AnswerOf<E>);
    // Typed loosely at this one seam: E fixes both the payload and the answer for the caller.
    (s.timeout(ACK_TIMEOUT_MS) as unknown as { emit(...a: unknown[]): void }).emit(
      event,
      ...args,
      (err: Error | null, answer: AnswerOf<E>) => resolve(err ? (timedOut as AnswerOf<E>) : answer),
    );
  });
}

async function join(join: JoinRequest): Promise<boolean> {
  const answer = await request('join', join);
  if (!answer.ok) {
    setNotice(describeRefusal(answer.error.code, answer.error.reason));
    return false;
  }
  applyJoined(state, answer);
  persist();
  renderAll();
  return true;
}

async function refreshRooms(): Promise<void> {
  const answer = await request('rooms');
  if (answer.ok) {
    applyRooms(state, answer.rooms);
    renderRooms(state, pickRoom);
  }
}

async function pickRoom(room: string): Promise<void> {
  typingStopped();
  if (!state.joined.has(room) && !(await join({ room }))) return;
  setActive(state, room);
  renderAll();
}

function typingStopped(): void {
  const stopped = typing.stop();
  if (stopped !== undefined && socket?.connected) socket.emit('typing', stopped);
}

async function onConnect(): Promise<void> {
  shutdown = undefined;
  setBanner('');
  let requests: JoinRequest[];
  if (state.joined.size > 0) {
    // A resume: the room list first, to tell a server whose history started over.
    const listed = await request('rooms');
    const resumed = resumeRequests(state, listed.ok ? listed.rooms : undefined);
    requests = resumed.requests;
    if (resumed.restarted.length > 0) {
      setNotice(
        `The server's history of ${resumed.restarted.map((r) => `#${r}`).join(', ')} started over.`,
      );
    }
  } else {
    requests = [...new Set([LOBBY, ...(saved?.rooms ?? [])])].map((room) => ({ room }));
  }
  await Promise.all(requests.map((r) => join(r)));
  if (!state.joined.has(state.active)) setActive(state, LOBBY);
  else setActive(state, state.active);
  renderAll();
  await refreshRooms();
}

function connect(): void {
  if (saved === undefined) return;
  const s: ChatSocket = io({
    path: CHAT_SOCKET_PATH,
    auth: { token: saved.session.token },
    reconnectionDelay: 500,
    reconnectionDelayMax: 2000,
  });
  socket = s;
  s.on('connect', () => void onConnect());
  s.on('welcome', ({ user, limits }) => {
    state.me = user;
    byId<HTMLInputElement>('message').maxLength = limits.maxTextLength;
    historyLimit = limits.historyPerRoom;
    byId('whoami').textContent = `Signed in as ${user.nick}`;
  });
  s.on('message', (message) => {
    if (!applyMessage(state, message)) return;
    if (message.room === state.active) {
      renderActiveRoom(state);
      renderTyping(state, Date.now());
    }
    renderRooms(state, pickRoom);
    if (message.from.id !== state.me?.id) announce(spokenMessage(message));
  });
  s.on('presence', (change) => {
    applyPresence(state, change);
    renderRooms(state, pickRoom);
    if (change.room === state.active) renderPresence(state);
    if (change.room === state.active && change.user.id !== state.me?.id) {
      announce(`${change.user.nick} ${change.present ? 'joined' : 'left'} #${change.room}`);
    }
  });
  s.on('typing', (change) => {
    applyTyping(state, change, Date.now());
    if (change.room === state.active) renderTyping(state, Date.now());
  });
  s.on('rooms', (rooms) => {
    applyRooms(state, rooms);
    renderRooms(state, pickRoom);
  });
  s.on('notice', ({ code, reason }) => {
    setNotice(describeRefusal(code, reason));
    if (code === 'CHAT_ERR_SHUTDOWN') {
      shutdown = describeRefusal(code, reason);
      setBanner(shutdown);
    }
  });
  s.on('disconnect', (reason) => {
    if (socket !== s) return;
    setBanner(shutdown === undefined ? RECONNECTING : `${shutdown} — reconnecting…`);
    // The server closed this socket on purpose (a flood, a shutdown): Socket.IO does not retry
    // those by itself, so the page does, a little later.
    if (reason === 'io server disconnect') setTimeout(() => socket === s && s.connect(), 2000);
  });
  s.on('connect_error', (err) => {
    if (socket !== s) return;
    const data = (err as Error & { data?: { code?: string; reason?: string } }).data;
    if (data?.code === 'REALTIME_ERR_AUTH') {
      signOut(describeRefusal(data.code, data.reason ?? err.message));
      return;
    }
    setBanner(
      data?.code
        ? `${describeRefusal(data.code, data.reason ?? '')} — reconnecting…`
        : RECONNECTING,
    );
    // A refusal by a middleware (say, too many connections) is not retried by Socket.IO itself.
    if (!s.active) setTimeout(() => socket === s && s.connect(), 2000);
  });
}

function start(session: SavedSession): void {
  saved = session;
  state = createChatState();
  state.me = session.session.user;
  byId('login-view').hidden = true;
  byId('chat-view').hidden = false;
  byId('logout').hidden = false;
  byId('whoami').textContent = `Signed in as ${session.session.user.nick}`;
  renderAll();
  setBanner('Connecting…');
  connect();
  byId<HTMLInputElement>('message').focus();
}

function wire(): void {
  byId<HTMLFormElement>('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const nick = byId<HTMLInputElement>('nick').value.trim();
    const error = byId('login-error');
    if (!NICK_PATTERN.test(nick)) {
      error.textContent = 'A nickname is 1–16 letters, digits, _ or -.';
      return;
    }
    error.textContent = '';
    try {
      const session = await requestSession(nick);
      const next = { session, rooms: [LOBBY] };
      saveSession(next);
      start(next);
    } catch (err) {
      error.textContent = (err as Error).message;
    }
  });
  byId('logout').addEventListener('click', () => signOut());
  // A complaint about what was typed goes once it is being corrected.
  byId('room-name').addEventListener('input', () => {
    byId('room-error').textContent = '';
  });
  byId('nick').addEventListener('input', () => {
    byId('login-error').textContent = '';
  });
  byId<HTMLFormElement>('join-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('room-name');
    const room = input.value.trim();
    const error = byId('room-error');
    if (!ROOM_NAME_PATTERN.test(room)) {
      error.textContent = 'A room name is 1–32 letters, digits, _ or -.';
      return;
    }
    error.textContent = '';
    input.value = '';
    await pickRoom(room);
  });
  byId('leave').addEventListener('click', async () => {
    const room = state.active;
    if (room === LOBBY) return;
    typingStopped();
    const answer = await request('leave', { room });
    if (!answer.ok) {
      setNotice(describeRefusal(answer.error.code, answer.error.reason));
      return;
    }
    applyLeft(state, room);
    persist();
    renderAll();
    await refreshRooms();
  });
  byId('load-older').addEventListener('click', async () => {
    const room = state.joined.get(state.active);
    if (room === undefined) return;
    const answer = await request('history', olderRequest(room, historyLimit));
    if (!answer.ok) {
      setNotice(describeRefusal(answer.error.code, answer.error.reason));
      return;
    }
    applyHistory(state, answer.room, answer.messages);
    if (answer.room === state.active) renderActiveRoom(state);
    // The button hides once nothing older is left: keep the focus somewhere sensible.
    if (byId('load-older').hidden) byId('message').focus();
  });
  const message = byId<HTMLInputElement>('message');
  message.addEventListener('input', () => {
    if (message.value === '') return typingStopped();
    const due = typing.input(state.active, Date.now());
    if (due !== undefined && socket?.connected) socket.emit('typing', due);
  });
  message.addEventListener('blur', typingStopped);
  byId<HTMLFormElement>('send-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const composed = parseComposed(message.value);
    if (composed === undefined) return;
    if (!socket?.connected) {
      setNotice('Not connected: the message was not sent (it is still in the box).');
      return;
    }
    typingStopped();
    const typed = message.value;
    message.value = '';
    const answer = await request('send', { room: state.active, ...composed });
    if (!answer.ok) {
      setNotice(describeRefusal(answer.error.code, answer.error.reason));
      if (message.value === '') message.value = typed;
    }
  });
  // Typing lines the server did not get to clear still fade.
  setInterval(() => {
    if (saved !== undefined) renderTyping(state, Date.now());
  }, 1000);
}

wire();
const resumed = loadSession();
if (resumed !== undefined) start(resumed);
else showLogin('');
