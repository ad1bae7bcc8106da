/// <reference lib="dom" />
/**
 * The browser side of the game demo (bundled by examples/game-server.ts with esbuild): joins
 * the `/game` namespace, decodes binary snapshots (deltas applied to the snapshot they name),
 * acknowledges them, predicts the local player from the keyboard and reconciles it with each
 * snapshot, and draws everyone else interpolated between the two last snapshots.
 */
import {
  applySnapshotDelta,
  decodeSnapshotMessage,
  type GameJoinReply,
  interpolatePosition,
  PredictedPlayer,
  type Snapshot,
  type SnapshotEntity,
} from '../../src/realtime/game/index.ts';

interface IoSocket {
  on(event: string, listener: (...args: never[]) => void): void;
  emit(event: string, ...args: unknown[]): void;
}
declare const io: (url: string, options: object) => IoSocket;

const canvas = document.getElementById('world') as HTMLCanvasElement;
const context = canvas.getContext('2d') as CanvasRenderingContext2D;
const debug = document.getElementById('debug') as HTMLElement;

const socket = io('/game', { transports: ['websocket'] });
const received = new Map<number, Snapshot>();
let previous: { snapshot: Snapshot; at: number } | undefined;
let latest: { snapshot: Snapshot; at: number } | undefined;
let me: PredictedPlayer | undefined;
let reply: GameJoinReply | undefined;
const held = new Set<string>();

socket.on('connect', () => {
  socket.emit('join', (answer: GameJoinReply) => {
    reply = answer;
    me = new PredictedPlayer(answer, {
      tickMs: answer.tickMs,
      speed: answer.speed,
      worldSize: answer.worldSize,
    });
    setInterval(sendInput, answer.tickMs);
  });
});

socket.on('snapshot', (data: ArrayBuffer) => {
  const message = decodeSnapshotMessage(new Uint8Array(data));
  const base = message.type === 'delta' ? received.get(message.delta.baseTick) : undefined;
  if (message.type === 'delta' && base === undefined) return; // never acked: cannot happen
  const snapshot =
    message.type === 'full'
      ? message.snapshot
      : applySnapshotDelta(base as Snapshot, message.delta);
  received.set(snapshot.tick, snapshot);
  for (const tick of received.keys()) if (tick < snapshot.tick - 64) received.delete(tick);
  socket.emit('ack', snapshot.tick);
  previous = latest;
  latest = { snapshot, at: performance.now() };
  const mine = snapshot.entities.find((e) => e.id === snapshot.you);
  if (mine !== undefined) me?.reconcile(mine, snapshot.ackSeq);
});

socket.on('game-error', (error: { code: string; reason: string }) => {
  console.warn('game-error', error.code, error.reason);
});

const KEYS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
  a: [-1, 0],
  d: [1, 0],
  w: [0, -1],
  s: [0, 1],
};
addEventListener('keydown', (event) => {
  if (KEYS[event.key]) {
    held.add(event.key);
    event.preventDefault();
  }
});
addEventListener('keyup', (event) => held.delete(event.key));
addEventListener('blur', () => held.clear());

/** One input per tick while a key is held: applied here at once, sent to the server. */
function sendInput(): void {
  if (me === undefined || held.size === 0) return;
  let dx = 0;
  let dy = 0;
  for (const key of held) {
    const [x, y] = KEYS[key] ?? [0, 0];
    dx += x;
    dy += y;
  }
  if (dx === 0 && dy === 0) return;
  socket.emit('input', me.input(dx, dy));
}

function draw(): void {
  requestAnimationFrame(draw);
  const scale = canvas.width / (reply?.worldSize ?? 1000);
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.strokeStyle = '#eee';
  for (let v = 0; v <= canvas.width; v += 50) {
    context.beginPath();
    context.moveTo(v, 0);
    context.lineTo(v, canvas.height);
    context.moveTo(0, v);
    context.lineTo(canvas.width, v);
    context.stroke();
  }
  if (latest === undefined || me === undefined || reply === undefined) return;
  // Others: a tick in the past, between the two last snapshots.
  const t = (performance.now() - latest.at) / reply.tickMs;
  const before = new Map<number, SnapshotEntity>();
  for (const e of previous?.snapshot.entities ?? []) before.set(e.id, e);
  context.fillStyle = '#36c';
  for (const e of latest.snapshot.entities) {
    if (e.id === latest.snapshot.you) continue;
    const at = interpolatePosition(before.get(e.id) ?? e, e, t);
    dot(at.x * scale, at.y * scale, 7);
  }
  const { x, y } = me.position;
  context.strokeStyle = 'rgba(211, 51, 51, 0.4)';
  context.beginPath();
  context.arc(x * scale, y * scale, reply.interestRadius * scale, 0, 2 * Math.PI);
  context.stroke();
  context.fillStyle = '#d33';
  dot(x * scale, y * scale, 9);
  debug.dataset.entities = String(latest.snapshot.entities.length);
  debug.dataset.tick = String(latest.snapshot.tick);
  debug.dataset.x = String(x);
  debug.dataset.y = String(y);
  debug.dataset.you = String(reply.id);
  debug.dataset.pending = String(me.pending.length);
  debug.textContent = `tick ${latest.snapshot.tick} · ${latest.snapshot.entities.length} in view · you #${reply.id} at (${x.toFixed(1)}, ${y.toFixed(1)}) · ${me.pending.length} inputs unacknowledged`;
}

function dot(x: number, y: number, r: number): void {
  context.beginPath();
  context.arc(x, y, r, 0, 2 * Math.PI);
  context.fill();
}

requestAnimationFrame(draw);
