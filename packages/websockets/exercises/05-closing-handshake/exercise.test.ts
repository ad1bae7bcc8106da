import net from 'node:net';
import { lessonOf, loadExercise, toHex } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { encodeFrame, type Frame, FrameParser, MessageAssembler } from '../../src/frame/index.ts';
import {
  buildRejectResponse,
  buildUpgradeResponse,
  createRequestHeadReader,
  validateUpgradeRequest,
} from '../../src/handshake/index.ts';
import {
  CLOSE_CASES,
  type CloseTopic,
  INVALID_CLOSE_CODES,
  VALID_CLOSE_CODES,
} from '../../test/conformance/close-cases.ts';
import { CLOSE_REQUEST, connectRawClient, OP } from '../../test/conformance/raw-peer.ts';

// This spec grades the closing handshake in three ways: readClosePayload() on payloads, the
// ClosingHandshake state machine on events (what each call returns, in order), and, over real
// sockets, the close cases of the package's conformance suite (test/conformance/close-cases.ts)
// against a server whose closing is YOUR ClosingHandshake: the server below does the opening
// handshake, reads frames, echoes messages and answers pings with the library's code, hands
// every close frame to your receiveClose(), and performs the actions your methods return.
type Exercise = typeof import('./exercise.ts');
type CloseAction = import('./exercise.ts').CloseAction;
type ClosingHandshake = import('./exercise.ts').ClosingHandshake;
const lesson = lessonOf(import.meta.url);
const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);

const hex = (bytes: Uint8Array): string =>
  bytes.length === 0 ? '(empty)' : toHex(bytes).replace(/(..)(?!$)/g, '$1 ');
/** A close payload: the code big-endian, then the reason (text as UTF-8, or raw bytes). */
const payloadOf = (code: number, reason: string | readonly number[] = ''): Buffer =>
  Buffer.concat([
    Buffer.of(code >> 8, code & 0xff),
    typeof reason === 'string' ? Buffer.from(reason, 'utf8') : Buffer.from(reason),
  ]);

/** Shows what a call returned: `[send-close 03 e8 (1000), end-tcp, start-timer 5000]`. */
function showActions(actions: unknown): string {
  if (!Array.isArray(actions)) return `${String(actions)} (not an array of actions)`;
  const shown = actions.map((a: unknown) => {
    const action = a as { type?: unknown; payload?: unknown; ms?: unknown };
    if (action?.type === 'send-close') {
      if (!(action.payload instanceof Uint8Array)) return 'send-close (no payload bytes)';
      const p = Buffer.from(action.payload);
      const code = p.length >= 2 ? ` = code ${p.readUInt16BE(0)}` : '';
      const reason = p.length > 2 ? ` "${p.subarray(2).toString('utf8')}"` : '';
      return `send-close ${hex(p)}${code}${reason}`;
    }
    if (action?.type === 'start-timer') return `start-timer ${String(action.ms)}`;
    return typeof action?.type === 'string' ? action.type : JSON.stringify(a);
  });
  return `[${shown.join(', ')}]`;
}

/**
 * What a call must return, in order, written short: `send-close 1000` (a close carrying that
 * code, any valid reason), `send-close 4001 "as requested"` (that exact payload), `send-close
 * empty`, `end-tcp`, `destroy-tcp`, `start-timer 5000`. A `start-timer` may come anywhere in the
 * list; the others must come in the order given.
 */
function matches(actions: unknown, want: readonly string[]): boolean {
  if (!Array.isArray(actions)) return false;
  const isTimer = (w: string): boolean => w.startsWith('start-timer');
  const gotTimers = actions
    .filter((a) => a?.type === 'start-timer')
    .map((a) => `start-timer ${a.ms}`);
  const wantTimers = want.filter(isTimer);
  if (gotTimers.join() !== wantTimers.join()) return false;
  const rest = actions.filter((a) => a?.type !== 'start-timer');
  const wantRest = want.filter((w) => !isTimer(w));
  if (rest.length !== wantRest.length) return false;
  return rest.every((a, i) => {
    const w = wantRest[i] as string;
    if (!w.startsWith('send-close')) return a?.type === w;
    if (a?.type !== 'send-close' || !(a.payload instanceof Uint8Array)) return false;
    const p = Buffer.from(a.payload as Uint8Array);
    if (w === 'send-close empty') return p.length === 0;
    const m = /^send-close (\d+)(?: "(.*)")?$/.exec(w);
    if (!m || p.length < 2 || p.readUInt16BE(0) !== Number(m[1])) return false;
    if (m[2] !== undefined) return p.subarray(2).toString('utf8') === m[2];
    // Any reason is fine in an answer, if it is valid UTF-8 and fits.
    return p.length <= 125 && Buffer.from(p.subarray(2).toString('utf8')).equals(p.subarray(2));
  });
}

/** One step of a scenario: a call, what it must return, and the state (and result) after it. */
interface Step {
  call: string;
  run: (c: ClosingHandshake) => unknown;
  want: readonly string[];
  state: 'open' | 'closing' | 'closed';
  result?: { code: number; reason: string };
}

/** Plays steps on a fresh ClosingHandshake and fails with every call and its return on a miss. */
async function play(
  steps: readonly Step[],
  why: string,
  section: string,
  options?: { closeTimeoutMs?: number },
): Promise<void> {
  const { ClosingHandshake } = await load();
  const log: string[] = [];
  const created = options
    ? `new ClosingHandshake(${JSON.stringify(options)})`
    : 'new ClosingHandshake()';
  const fail = (what: string): never => {
    const expected = steps
      .map(
        (s) =>
          `  ${s.call}\n      → ${s.want.length ? `[${s.want.join(', ')}]` : '[]'}; state '${s.state}'${s.result ? `, result ${JSON.stringify(s.result)}` : ''}`,
      )
      .join('\n');
    throw new Error(
      `${what}\nwhat happened (${created}):\n${log.join('\n')}\nexpected:\n${expected}\n${why}. ${lesson.see(section)}`,
    );
  };
  let machine: ClosingHandshake;
  try {
    machine = options ? new ClosingHandshake(options) : new ClosingHandshake();
  } catch (error) {
    return fail(`${created} threw ${String(error)}`);
  }
  for (const step of steps) {
    let got: unknown;
    try {
      got = step.run(machine);
    } catch (error) {
      log.push(`  ${step.call}\n      → threw ${String(error)}`);
      return fail(`${step.call} threw`);
    }
    log.push(
      `  ${step.call}\n      → ${showActions(got)}; state '${String(machine.state)}'${machine.result ? `, result ${JSON.stringify(machine.result)}` : ''}`,
    );
    if (!matches(got, step.want))
      return fail(`${step.call} returned ${showActions(got)}, expected [${step.want.join(', ')}]`);
    if (machine.state !== step.state)
      return fail(
        `after ${step.call} the state is '${String(machine.state)}', expected '${step.state}'`,
      );
    if (
      step.result &&
      (machine.result?.code !== step.result.code || machine.result?.reason !== step.result.reason)
    ) {
      return fail(
        `after ${step.call} the result is ${JSON.stringify(machine.result)}, expected ${JSON.stringify(step.result)}`,
      );
    }
  }
}

const receive = (payload: Uint8Array): Pick<Step, 'call' | 'run'> => ({
  call: `receiveClose(${hex(payload)})`,
  run: (c) => c.receiveClose(payload),
});
const closeCall = (code?: number, reason?: string): Pick<Step, 'call' | 'run'> => ({
  call: `close(${code === undefined ? '' : code}${reason === undefined ? '' : `, ${JSON.stringify(reason)}`})`,
  run: (c) => c.close(code, reason),
});
const timeoutCall: Pick<Step, 'call' | 'run'> = { call: 'timeout()', run: (c) => c.timeout() };

/** Calls readClosePayload and says what it did: returned `{…}`, or threw with which closeCode. */
async function readOutcome(
  payload: Uint8Array,
): Promise<{ returned?: unknown; closeCode?: unknown; threw?: string }> {
  const { readClosePayload } = await load();
  try {
    return { returned: readClosePayload(payload) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/not implemented yet/.test(message)) throw error;
    return { closeCode: (error as { closeCode?: unknown }).closeCode, threw: message };
  }
}

function showOutcome(o: { returned?: unknown; closeCode?: unknown; threw?: string }): string {
  return o.threw !== undefined
    ? `threw "${o.threw}" (closeCode ${String(o.closeCode)})`
    : `returned ${JSON.stringify(o.returned)}`;
}

describe('readClosePayload()', () => {
  it('reads the code (1005 for an empty payload) and the reason, UTF-8', async () => {
    const cases: [Buffer, { code: number; reason: string }][] = [
      [Buffer.alloc(0), { code: 1005, reason: '' }],
      [payloadOf(1000), { code: 1000, reason: '' }],
      [payloadOf(1001, 'going away'), { code: 1001, reason: 'going away' }],
      [payloadOf(4001, 'κόσμε 𝄞'), { code: 4001, reason: 'κόσμε 𝄞' }],
      [payloadOf(3000, 'r'.repeat(123)), { code: 3000, reason: 'r'.repeat(123) }],
    ];
    for (const [payload, want] of cases) {
      const got = await readOutcome(payload);
      expect(
        got.returned,
        `readClosePayload(${hex(payload)}) ${showOutcome(got)}, expected ${JSON.stringify(want)}: the code is the first 2 bytes, big-endian; the rest is the reason; an empty payload means "no status", reported as 1005. ${lesson.see("The close frame's payload")}`,
      ).toEqual(want);
    }
  });

  it('accepts every code valid on the wire: 1000–1003, 1007–1014, 3000–4999', async () => {
    const codes = [...VALID_CLOSE_CODES, 1012, 1013, 1014, 3001, 3500, 4500];
    for (const code of codes) {
      const got = await readOutcome(payloadOf(code));
      expect(
        got.returned,
        `readClosePayload(${hex(payloadOf(code))}) ${showOutcome(got)}: ${code} may be sent. ${lesson.see('Status codes')}`,
      ).toEqual({ code, reason: '' });
    }
  });

  it('throws closeCode 1002 for a 1-byte payload and for every code not valid on the wire', async () => {
    const payloads = [Buffer.of(0x03), ...INVALID_CLOSE_CODES.map((code) => payloadOf(code, 'x'))];
    for (const payload of payloads) {
      const got = await readOutcome(payload);
      const what =
        payload.length === 1
          ? 'one byte cannot hold a code (2 bytes)'
          : `code ${payload.readUInt16BE(0)} may not be on the wire (1004 is reserved, 1005, 1006 and 1015 are only reported locally, 1016–2999 are kept for RFCs, below 1000 and from 5000 are not codes)`;
      expect(
        got.closeCode,
        `readClosePayload(${hex(payload)}) ${showOutcome(got)}, expected it to throw with closeCode 1002: ${what}. ${lesson.see('Status codes')}`,
      ).toBe(1002);
    }
  });

  it('throws closeCode 1007 for a reason that is not UTF-8, even a character cut at the end', async () => {
    const reasons: [readonly number[], string][] = [
      [[0xed, 0xa0, 0x80], 'a surrogate (U+D800)'],
      [[0xc0, 0x80], 'an overlong form'],
      [[0x6f, 0x6b, 0xe2, 0x82], 'a character cut at the end'],
      [[0xff], 'the byte ff'],
    ];
    for (const [reason, what] of reasons) {
      const payload = payloadOf(1000, reason);
      const got = await readOutcome(payload);
      expect(
        got.closeCode,
        `readClosePayload(${hex(payload)}) ${showOutcome(got)}, expected closeCode 1007: the reason holds ${what}, not UTF-8 (Buffer's toString and a default TextDecoder replace it with U+FFFD instead of failing). ${lesson.see('The reason')}`,
      ).toBe(1007);
    }
  });
});

describe('ClosingHandshake (the state machine, event by event)', () => {
  it('answers a close with the same code, ends TCP and starts the timer; an empty close with an empty close', async () => {
    await play(
      [
        {
          ...receive(payloadOf(1000, 'bye')),
          want: ['send-close 1000', 'end-tcp', 'start-timer 5000'],
          state: 'closed',
          result: { code: 1000, reason: 'bye' },
        },
      ],
      'A close is answered with a close echoing its code (§5.5.1), then the server ends TCP first (§7.1.1), and a timer bounds the wait for the client to finish',
      'Answering a close',
    );
    await play(
      [
        {
          ...receive(payloadOf(4321)),
          want: ['send-close 4321', 'end-tcp', 'start-timer 5000'],
          state: 'closed',
          result: { code: 4321, reason: '' },
        },
      ],
      'Echo the code received: 4321, not 1000',
      'Answering a close',
    );
    await play(
      [
        {
          ...receive(Buffer.alloc(0)),
          want: ['send-close empty', 'end-tcp', 'start-timer 5000'],
          state: 'closed',
          result: { code: 1005, reason: '' },
        },
      ],
      'An empty close is answered with an empty close: 1005 means "no code was sent", and may never be sent itself',
      'Answering a close',
    );
  });

  it('answers a bad close with 1002 or 1007, and reports that code', async () => {
    for (const [payload, code] of [
      [Buffer.of(0x03), 1002],
      [payloadOf(1005), 1002],
      [payloadOf(2999), 1002],
      [payloadOf(1000, [0xc0, 0x80]), 1007],
    ] as const) {
      await play(
        [
          {
            ...receive(payload),
            want: [`send-close ${code}`, 'end-tcp', 'start-timer 5000'],
            state: 'closed',
            result: { code, reason: '' },
          },
        ],
        `A close that breaks the rules fails the connection: the answer carries the failure's code (${code}), never the bad code echoed`,
        'Answering a close',
      );
    }
  });

  it("its own close: sends it and starts the timer, then ends TCP when the peer's close comes, sending no second close", async () => {
    await play(
      [
        {
          ...closeCall(4001, 'as requested'),
          want: ['send-close 4001 "as requested"', 'start-timer 5000'],
          state: 'closing',
        },
        {
          ...receive(payloadOf(4001)),
          want: ['end-tcp'],
          state: 'closed',
          result: { code: 4001, reason: '' },
        },
      ],
      "After sending its close, the server waits ('closing') for the peer's; when it comes, the handshake is done: end TCP, and never answer a close with a second close",
      'Starting a close',
    );
    await play(
      [
        { ...closeCall(), want: ['send-close empty', 'start-timer 5000'], state: 'closing' },
        {
          ...receive(payloadOf(1000, 'ok')),
          want: ['end-tcp'],
          state: 'closed',
          result: { code: 1000, reason: 'ok' },
        },
      ],
      'close() with no code sends an empty close',
      'Starting a close',
    );
    await play(
      [
        { ...closeCall(1001), want: ['send-close 1001', 'start-timer 5000'], state: 'closing' },
        {
          ...receive(Buffer.of(0x03)),
          want: ['end-tcp'],
          state: 'closed',
          result: { code: 1002, reason: '' },
        },
      ],
      'A bad close while closing: our close is already out, so just end TCP (and report 1002)',
      'Starting a close',
    );
  });

  it('drops TCP when the timer fires: the peer that never answers is reported as 1006', async () => {
    await play(
      [
        { ...closeCall(1000), want: ['send-close 1000', 'start-timer 250'], state: 'closing' },
        {
          ...timeoutCall,
          want: ['destroy-tcp'],
          state: 'closed',
          result: { code: 1006, reason: '' },
        },
      ],
      "Waiting for the peer's close is bounded by closeTimeoutMs: when the timer fires, destroy the socket; no close frame came, so the connection reports 1006",
      'Never wait for ever',
      { closeTimeoutMs: 250 },
    );
    await play(
      [
        {
          ...receive(payloadOf(1000)),
          want: ['send-close 1000', 'end-tcp', 'start-timer 250'],
          state: 'closed',
          result: { code: 1000, reason: '' },
        },
        {
          ...timeoutCall,
          want: ['destroy-tcp'],
          state: 'closed',
          result: { code: 1000, reason: '' },
        },
      ],
      "After answering, the server waits for the client's FIN: a client that never closes its side is dropped when the timer fires, and the result stays the code it sent",
      'Never wait for ever',
      { closeTimeoutMs: 250 },
    );
  });

  it('never sends two close frames: close() twice, a second close received, close() after answering', async () => {
    await play(
      [
        { ...closeCall(1000), want: ['send-close 1000', 'start-timer 5000'], state: 'closing' },
        { ...closeCall(1001), want: [], state: 'closing' },
        { ...receive(payloadOf(1000)), want: ['end-tcp'], state: 'closed' },
        { ...receive(payloadOf(1001)), want: [], state: 'closed' },
        { ...closeCall(1000), want: [], state: 'closed' },
      ],
      'One close frame each way: once ours is sent, close() does nothing; once closed, every close is ignored',
      'The state machine',
    );
    await play(
      [
        { ...timeoutCall, want: [], state: 'open' },
        {
          ...receive(payloadOf(1000)),
          want: ['send-close 1000', 'end-tcp', 'start-timer 5000'],
          state: 'closed',
        },
        { ...receive(payloadOf(1000)), want: [], state: 'closed' },
        { ...closeCall(1000), want: [], state: 'closed' },
      ],
      'timeout() while open does nothing (no timer was started); after answering a close, a second one and close() do nothing',
      'The state machine',
    );
  });

  it('refuses to send a code not valid on the wire or a reason over 123 bytes, with a RangeError, and stays open', async () => {
    const { ClosingHandshake } = await load();
    const machine = new ClosingHandshake();
    for (const [code, reason, what] of [
      [1005, '', 'code 1005 is only reported locally'],
      [1006, '', 'code 1006 is only reported locally'],
      [999, '', 'code 999 is not a code'],
      [5000, '', 'code 5000 is not a code'],
      [1000, 'é'.repeat(62), 'a reason of 124 bytes (62 × "é", 2 bytes each)'],
    ] as const) {
      let thrown: unknown;
      try {
        machine.close(code, reason);
      } catch (error) {
        thrown = error;
      }
      if (thrown instanceof Error && /not implemented yet/.test(thrown.message)) throw thrown;
      expect(
        thrown,
        `close(${code}, ${JSON.stringify(reason).slice(0, 20)}…) must throw a RangeError (${what}: a bug in the caller, not the peer's fault). ${lesson.see('Starting a close')}`,
      ).toBeInstanceOf(RangeError);
      expect(
        machine.state,
        `a refused close() must change nothing. ${lesson.see('Starting a close')}`,
      ).toBe('open');
    }
    const ok = machine.close(1000, 'é'.repeat(61));
    expect(
      matches(ok, ['send-close 1000', 'start-timer 5000']),
      `close(1000, 61 × "é") (122 bytes) returned ${showActions(ok)}. ${lesson.see('Starting a close')}`,
    ).toBe(true);
  });
});

/** Where each topic of the conformance cases is taught. */
const SECTION: Record<Exclude<CloseTopic, 'frame'>, string> = {
  reply: 'Answering a close',
  payload: "The close frame's payload",
  codes: 'Status codes',
  reason: 'The reason',
  'after-close': 'The state machine',
  'own-close': 'Starting a close',
};

/** A server whose closing is the learner's ClosingHandshake (see the comment at the top). */
interface Harness {
  port: number;
  /** Every frame received, and every call into the learner's code with what it returned. */
  log: string[];
  /** What the learner's code threw, or returned that is not an action. */
  errors: string[];
}

async function startHarness(closeTimeoutMs: number): Promise<Harness> {
  const { ClosingHandshake } = await load();
  const log: string[] = [];
  const errors: string[] = [];
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const serveFrames = (socket: net.Socket, first: Buffer): void => {
    let closing: ClosingHandshake;
    try {
      closing = new ClosingHandshake({ closeTimeoutMs });
    } catch (error) {
      errors.push(`new ClosingHandshake() threw ${String(error)}`);
      socket.destroy();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    socket.on('close', () => clearTimeout(timer));
    const parser = new FrameParser({ role: 'server' });
    const assembler = new MessageAssembler();
    let failed = false;

    const write = (opcode: number, payload: Uint8Array): void => {
      socket.write(Buffer.concat(encodeFrame({ opcode, payload: Buffer.from(payload) })));
    };
    const perform = (actions: readonly CloseAction[]): void => {
      for (const action of actions) {
        switch (action.type) {
          case 'send-close': {
            const payload = Buffer.from(action.payload);
            if (payload.length > 125) {
              errors.push(
                `a send-close payload of ${payload.length} bytes: a control frame holds at most 125`,
              );
              socket.destroy();
              return;
            }
            socket.write(Buffer.concat([Buffer.of(0x88, payload.length), payload]));
            break;
          }
          case 'end-tcp':
            socket.end();
            break;
          case 'destroy-tcp':
            socket.destroy();
            break;
          case 'start-timer':
            clearTimeout(timer);
            timer = setTimeout(() => call('timeout()', () => closing.timeout()), action.ms);
            timers.add(timer);
            break;
          default:
            errors.push(`an action that is not one of the four: ${JSON.stringify(action)}`);
            socket.destroy();
            return;
        }
      }
    };
    const call = (what: string, fn: () => CloseAction[]): void => {
      let actions: CloseAction[];
      try {
        actions = fn();
      } catch (error) {
        log.push(`  your ${what} threw ${String(error)}`);
        errors.push(`${what} threw ${String(error)}`);
        socket.destroy();
        return;
      }
      log.push(`  your ${what} → ${showActions(actions)}; state '${String(closing.state)}'`);
      if (!Array.isArray(actions)) {
        errors.push(`${what} returned ${String(actions)}, not an array of actions`);
        socket.destroy();
        return;
      }
      perform(actions);
    };
    /** A frame rule broken (the library's parser found it, not the closing handshake). */
    const failConnection = (error: unknown): void => {
      failed = true;
      const code = (error as { closeCode?: number }).closeCode ?? 1002;
      log.push(`  the server failed the connection with ${code}: ${String(error)}`);
      if (closing.state === 'open')
        socket.end(Buffer.concat([Buffer.of(0x88, 2), Buffer.of(code >> 8, code & 0xff)]));
      else socket.destroy();
    };
    const onFrame = (frame: Frame): void => {
      const name =
        ['cont', 'text', 'binary'][frame.opcode] ??
        ({ 8: 'close', 9: 'ping', 10: 'pong' } as Record<number, string>)[frame.opcode];
      log.push(
        `received ${name ?? `opcode ${frame.opcode}`} ${hex(frame.payload.subarray(0, 32))}${frame.payload.length > 32 ? '…' : ''}`,
      );
      if (frame.opcode === OP.CLOSE) {
        call(`receiveClose(${hex(frame.payload)})`, () => closing.receiveClose(frame.payload));
        return;
      }
      if (closing.state !== 'open') {
        log.push(`  ignored: the state is '${closing.state}'`);
        return;
      }
      if (frame.opcode === OP.PING) {
        write(OP.PONG, frame.payload);
        return;
      }
      if (frame.opcode === OP.PONG) return;
      let events: ReturnType<MessageAssembler['push']>;
      try {
        events = assembler.push(frame);
      } catch (error) {
        failConnection(error);
        return;
      }
      for (const event of events) {
        if (event.type === 'text' && event.data === CLOSE_REQUEST) {
          call("close(4001, 'as requested')", () => closing.close(4001, 'as requested'));
        } else if (event.type === 'text') write(OP.TEXT, Buffer.from(event.data));
        else if (event.type === 'binary') write(OP.BINARY, event.data);
      }
    };
    // A function, so TypeScript does not narrow the state across calls that change it.
    const stopped = (): boolean => failed || closing.state === 'closed' || socket.destroyed;
    const onData = (chunk: Buffer): void => {
      if (stopped()) return; // nothing after a close is read
      const frames: Frame[] = [];
      let failure: unknown;
      try {
        parser.push(chunk, frames);
      } catch (error) {
        failure = error;
      }
      for (const frame of frames) {
        if (stopped()) return;
        onFrame(frame);
      }
      if (failure !== undefined && !stopped()) failConnection(failure);
    };
    socket.on('data', onData);
    if (first.length > 0) onData(first);
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const reader = createRequestHeadReader();
    const onHead = (chunk: Buffer): void => {
      try {
        const done = reader.push(chunk);
        if (done === undefined) return;
        socket.off('data', onHead);
        const result = validateUpgradeRequest(done.head);
        if (!result.ok) {
          socket.end(buildRejectResponse(result.status, result.message, result.headers));
          return;
        }
        socket.write(buildUpgradeResponse(result));
        serveFrames(socket, done.rest);
      } catch {
        socket.destroy();
      }
    };
    socket.on('data', onHead);
  });
  onTestFinished(async () => {
    for (const timer of timers) clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, log, errors };
}

/** Rethrows a failed case with what the server did and what the learner's code returned or threw. */
function explain(error: unknown, harness: Harness, section: string): Error {
  const thrown =
    harness.errors.length > 0 ? `\nyour ClosingHandshake: ${harness.errors.join('; ')}` : '';
  return new Error(
    `${error instanceof Error ? error.message : String(error)}${thrown}\nwhat the server received, and what your ClosingHandshake decided:\n${harness.log.join('\n') || '  (nothing)'}\n${lesson.see(section)}`,
    { cause: error },
  );
}

describe("the closing handshake on the wire (the conformance suite's close cases)", () => {
  // Long enough that no case passes by the timer alone: a close answered without ending TCP,
  // or a close of ours whose answer does not end TCP, shows up as a wait that runs out.
  const CLOSE_TIMEOUT_MS = 60_000;

  for (const { name, topic, run } of CLOSE_CASES) {
    if (topic === 'frame') continue; // the frame parser's rules (over 125 bytes, fragmented), not the closing handshake's
    it(name, async () => {
      const harness = await startHarness(CLOSE_TIMEOUT_MS);
      const peer = await connectRawClient(harness.port);
      try {
        await run(peer);
        if (harness.errors.length > 0)
          throw new Error('the exchange on the wire was right, but your code threw');
      } catch (error) {
        throw explain(error, harness, SECTION[topic]);
      }
    });
  }

  it('drops the TCP connection when the client never answers its close, once closeTimeoutMs has passed', async () => {
    const timeoutMs = 300;
    const harness = await startHarness(timeoutMs);
    const peer = await connectRawClient(harness.port);
    try {
      const started = performance.now();
      peer.send({ opcode: OP.TEXT, payload: CLOSE_REQUEST });
      const frame = await peer.nextFrame('the server close');
      expect(frame.opcode, 'the server was asked to close: a close frame').toBe(OP.CLOSE);
      // We never answer, and never end our side: only the timer can end this connection.
      await peer.waitEnded();
      const elapsed = performance.now() - started;
      expect(
        elapsed,
        `the server ended TCP ${Math.round(elapsed)} ms after its close, before closeTimeoutMs (${timeoutMs} ms): after sending its close, the server waits for the client's close (or the timer)`,
      ).toBeGreaterThanOrEqual(timeoutMs - 20);
      expect(
        harness.log.some((line) => line.includes('timeout() → [destroy-tcp]')),
        'the connection ended by the timer: timeout() → [destroy-tcp]',
      ).toBe(true);
      if (harness.errors.length > 0) throw new Error('your code threw');
    } catch (error) {
      throw explain(error, harness, 'Never wait for ever');
    }
  });
});
