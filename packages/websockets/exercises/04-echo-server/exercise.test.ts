import { createHash } from 'node:crypto';
import {
  connectGraded,
  describeByteDifference,
  hexdump,
  lessonOf,
  printable,
  type ServerUnderTest,
  seededBytes,
  startGradedServer,
  type WireClient,
  WireError,
} from '@socketlab/testkit';
import { describe, it } from 'vitest';

// A wire-level spec: it talks to the server only over sockets, as a browser would (masked frames
// in, unmasked frames out), so it grades the solution, your exercise, or a program in any
// language: SOCKETLAB_TARGET='cmd:python3 examples/echo_server.py' (its port in PORT).
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);

/** RFC 6455 §1.3: the GUID, and the worked example of a key and its accept value. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

const OPCODE_NAMES: Record<number, string> = {
  0: 'continuation',
  1: 'text',
  2: 'binary',
  8: 'close',
  9: 'ping',
  10: 'pong',
};
const opName = (opcode: number): string =>
  `${opcode} (${OPCODE_NAMES[opcode] ?? 'reserved: not a frame we expect'})`;

function startTarget(): Promise<ServerUnderTest> {
  return startGradedServer<Exercise>(import.meta.url, (mod) => mod.startEchoServer(0), {
    uncaughtHint: `Give every socket an 'error' listener: one client's reset is thrown otherwise, and stops the server. ${lesson.see('Your task')}`,
  });
}

/** A request head as a browser sends it (minus Origin and the extensions it offers). */
const requestHead = (key: string): string =>
  [
    'GET /echo HTTP/1.1',
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    '',
    '',
  ].join('\r\n');

/** Reads the response head up to its empty line and checks it is our 101. */
async function expect101(client: WireClient, key: string, sent: string): Promise<void> {
  const lines: string[] = [];
  for (;;) {
    let line: string;
    try {
      line = (await client.readLineBytes()).toString('latin1');
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      throw new WireError(
        `${error.message}\nWe sent ${printable(sent)} and waited for the 101 head. ${lesson.see('The handshake')}`,
      );
    }
    if (line === '\r\n') break;
    lines.push(line.replace(/\r?\n$/, ''));
    if (lines.length > 100) throw client.fail('more than 100 header lines without an empty line');
  }
  const [status = '', ...fields] = lines;
  if (!/^HTTP\/1\.1 101(?: |$)/.test(status)) {
    throw client.fail(
      `expected "HTTP/1.1 101 Switching Protocols", got ${printable(status)}. ${lesson.see('The handshake')}`,
    );
  }
  const accept = fields
    .find((line) => /^sec-websocket-accept:/i.test(line))
    ?.slice('sec-websocket-accept:'.length)
    .trim();
  const expected = createHash('sha1').update(`${key}${GUID}`, 'latin1').digest('base64');
  if (accept !== expected) {
    throw client.fail(
      `Sec-WebSocket-Accept: expected ${expected} for the key ${key}, got ${printable(accept ?? '(absent)')}. ${lesson.see('The handshake')}`,
    );
  }
}

/** A connection to the server under test, its opening handshake done (closed when the test ends). */
async function connectAndUpgrade(server: ServerUnderTest, seed = 1): Promise<WireClient> {
  const client = await connectGraded(server);
  const key = seed === 1 ? RFC_KEY : seededBytes(seed, 16).toString('base64');
  const sent = requestHead(key);
  await client.send(sent);
  await expect101(client, key, sent);
  return client;
}

/** The bytes of a frame header: FIN and opcode, then the mask bit and the shortest length form. */
function frameHeader(opcode: number, length: number, masked: boolean, fin = true): Buffer {
  const maskBit = masked ? 0x80 : 0;
  const first = (fin ? 0x80 : 0) | opcode;
  if (length < 126) return Buffer.of(first, maskBit | length);
  if (length < 65_536) {
    const header = Buffer.of(first, maskBit | 126, 0, 0);
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header[0] = first;
  header[1] = maskBit | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

/** XORs `payload` with `key` (RFC 6455 §5.3) into a new buffer. */
function masked(payload: Uint8Array, key: Uint8Array): Buffer {
  return Buffer.from(payload.map((byte, i) => byte ^ (key[i % 4] as number)));
}

/** A frame as a client sends it: masked with `key` (RFC 6455 §5.1, §5.3). */
function clientFrame(opcode: number, payload: Uint8Array, key: Uint8Array): Buffer {
  return Buffer.concat([frameHeader(opcode, payload.length, true), key, masked(payload, key)]);
}

/** Four seeded mask keys, none of them all zeros (which would hide a missing unmask). */
const keyOf = (seed: number): Buffer => {
  const key = seededBytes(1000 + seed, 4);
  key[0] = (key[0] as number) | 1;
  return key;
};

/** What a byte-0 or byte-1 mismatch of a server's frame header means. */
function explainHeader(expected: Buffer, got: Buffer, length: number): string {
  const [e0 = 0, e1 = 0] = expected;
  const [g0 = 0, g1 = 0] = got;
  if (g0 !== e0) {
    if ((g0 & 0x0f) !== (e0 & 0x0f)) {
      const e = e0 & 0x0f;
      const g = g0 & 0x0f;
      if (e === 10 && g === 9)
        return `that answers a ping with a ping: the answer to a ping is a PONG, opcode 10 (0xA), with the same payload. ${lesson.see('Ping and pong')}`;
      return `expected opcode ${opName(e)}, got ${opName(g)}: echo text as text and binary as binary (the opcode of the frame received). ${lesson.see('Echoing a frame')}`;
    }
    if ((g0 & 0x80) === 0)
      return `FIN is clear: a whole message in one frame has FIN set (the top bit of byte 0). ${lesson.see('Echoing a frame')}`;
    return `the reserved bits (0x70 of byte 0) are set: nothing was negotiated that uses them, so they are 0. ${lesson.see('Echoing a frame')}`;
  }
  const lengthWrittenRaw = length > 125 && g1 === (length & 0xff);
  if ((g1 & 0x80) !== 0 && !lengthWrittenRaw)
    return `the mask bit (the top bit of byte 1) is set: a server never masks its frames (RFC 6455 §5.1), only a client does. ${lesson.see('Masking, one way')}`;
  if (g1 !== e1) {
    const form = length < 126 ? '7-bit' : length < 65_536 ? '16-bit' : '64-bit';
    const codes =
      length < 126
        ? `the length itself (${length})`
        : length < 65_536
          ? '126, then the length in the next 2 bytes, big-endian'
          : '127, then the length in the next 8 bytes, big-endian';
    const hint = lengthWrittenRaw
      ? ` Byte 1 holds ${g1}, the length itself (its low 8 bits): only 0–125 fit there.`
      : (g1 & 0x7f) === (length & 0x7f)
        ? ` ${g1 & 0x7f} is ${length} & 0x7f: the low 7 bits of the length, as if every length fit 7 bits.`
        : '';
    return `a ${length}-byte payload takes the ${form} length form: byte 1 is ${codes}.${hint} ${lesson.see('Lengths: 7, 16 or 64 bits')}`;
  }
  return `the extended length is the payload's length, big-endian (network byte order), in the shortest form that fits. ${lesson.see('Lengths: 7, 16 or 64 bits')}`;
}

/**
 * Reads the frame a server sends back for `payload` and compares it with the exact frame
 * expected (FIN, `opcode`, no mask, the shortest length form, the payload): the header byte by
 * byte with the offending byte marked, then the payload, naming the usual near misses.
 */
async function expectFrame(
  client: WireClient,
  opcode: number,
  payload: Uint8Array,
  what: string,
  maskKeys: readonly Uint8Array[] = [],
): Promise<void> {
  const header = frameHeader(opcode, payload.length, false);
  let got: Buffer;
  try {
    got = await client.readBytes(header.length);
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    throw new WireError(
      `${error.message}\nWe waited for ${what}: a ${header.length}-byte frame header, ${hexdump(header)}, then ${payload.length} payload bytes. ${lesson.see('Your task')}`,
    );
  }
  const difference = describeByteDifference(header, got);
  if (difference) {
    throw client.fail(
      `${what}: the frame header differs from the one expected.\n${difference}\n${explainHeader(header, got, payload.length)}`,
    );
  }
  const body = await client.readBytes(payload.length);
  const bodyDifference = describeByteDifference(payload, body);
  if (bodyDifference === undefined) return;
  // The frame's own key is the last of `maskKeys`; the others were used by earlier frames.
  const own = maskKeys.at(-1);
  const wire = own === undefined ? undefined : masked(payload, own);
  const hint =
    wire?.equals(body) === true
      ? `these are the bytes as they arrived, still masked: XOR each payload byte with the frame's masking key, byte i with key[i % 4]. ${lesson.see('Masking, one way')}`
      : wire !== undefined && maskKeys.slice(0, -1).some((key) => masked(wire, key).equals(body))
        ? `that is the payload unmasked with an EARLIER frame's key: every frame carries its own masking key, read it from each frame. ${lesson.see('Masking, one way')}`
        : `send the payload back as it came (after unmasking); binary is any bytes, never decode it as text. ${lesson.see('Echoing a frame')}`;
  throw client.fail(`${what}: the payload differs from the one sent.\n${bodyDifference}\n${hint}`);
}

/**
 * Expects a close frame carrying `code`, then the server's end of the TCP connection with
 * nothing after the frame.
 */
async function expectCloseEcho(client: WireClient, code: number, key: Uint8Array): Promise<void> {
  const head = await client.readBytes(2);
  if ((head[0] as number) !== 0x88) {
    throw client.fail(
      `expected a close frame (byte 0 = 0x88: FIN and opcode 8), got 0x${(head[0] as number).toString(16).padStart(2, '0')} (opcode ${opName((head[0] as number) & 0x0f)}). ${lesson.see('Closing')}`,
    );
  }
  const length = (head[1] as number) & 0x7f;
  if (((head[1] as number) & 0x80) !== 0) {
    throw client.fail(
      `the close frame is masked: a server never masks its frames (RFC 6455 §5.1). ${lesson.see('Masking, one way')}`,
    );
  }
  if (length > 125) {
    throw client.fail(
      `the close frame announces ${length === 126 ? 'a 16-bit' : 'a 64-bit'} length: a control frame carries at most 125 bytes, always in the 7-bit form. ${lesson.see('Closing')}`,
    );
  }
  const payload = await client.readBytes(length);
  if (length < 2) {
    throw client.fail(
      `the close frame carries ${length === 0 ? 'no payload' : 'one byte'}: answer with the 2-byte code the client sent (${code}, bytes ${Buffer.of(
        code >> 8,
        code & 0xff,
      )
        .toString('hex')
        .replace(/(..)(..)/, '$1 $2')}), then, optionally, a reason. ${lesson.see('Closing')}`,
    );
  }
  const got = payload.readUInt16BE(0);
  if (got !== code) {
    throw client.fail(
      got === (code ^ (((key[0] as number) << 8) | (key[1] as number)))
        ? `the close frame carries code ${got}, expected ${code}: that is the code still masked; unmask a close frame's payload too. ${lesson.see('Masking, one way')}`
        : `the close frame carries code ${got}, expected ${code}: echo the code the client sent (RFC 6455 §5.5.1), big-endian. ${lesson.see('Closing')}`,
    );
  }
  let rest: Buffer;
  try {
    rest = await client.readToEnd();
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    throw new WireError(
      `${error.message}\nAfter answering a close, the server closes the TCP connection (socket.end()): the server closes first (RFC 6455 §7.1.1). ${lesson.see('Closing')}`,
    );
  }
  if (rest.length > 0) {
    throw client.fail(
      `after its close frame the server sent ${rest.length} more bytes:\n${hexdump(rest)}\nNothing may follow a close frame (RFC 6455 §5.5.1). ${lesson.see('Closing')}`,
    );
  }
}

/**
 * Proves nothing else is waiting on `client`: a ping sent now must be answered by the very next
 * frame (TCP keeps the order), with no sleep.
 */
async function expectNothingElse(client: WireClient, what: string): Promise<void> {
  const marker = Buffer.from(`nothing else? ${what}`);
  await client.send(clientFrame(9, marker, keyOf(99)));
  await expectFrame(
    client,
    10,
    marker,
    `the pong to a ping sent to check that nothing else arrived (${what}); anything before it was sent to the wrong connection, or twice`,
  );
}

describe('a WebSocket echo server (graded over the wire)', () => {
  it('answers the opening handshake with 101 and the accept value of the key', async () => {
    const server = await startTarget();
    const client = await connectAndUpgrade(server, 5);
    // Open and quiet after the 101, proved without pings (they come later): by the time a second
    // handshake is answered, a FIN or stray bytes written after the first 101 have arrived too.
    await connectAndUpgrade(server);
    if (client.socket.readableEnded || client.socket.destroyed) {
      throw client.fail(
        `the server closed the connection after its 101: from then on it is a WebSocket, keep it open. ${lesson.see('The handshake')}`,
      );
    }
    const extra = await client.readBytes(1, 0).catch(() => undefined);
    if (extra !== undefined) {
      throw client.fail(
        `after its 101 the server sent more bytes, starting ${printable(extra)}, before any frame came from the client. ${lesson.see('The handshake')}`,
      );
    }
  });

  it('echoes RFC 6455 §5.7\'s masked text frame "Hello" as an unmasked text frame', async () => {
    const server = await startTarget();
    const client = await connectAndUpgrade(server);
    // 81 85, the key 37 fa 21 3d, then "Hello" masked with it (RFC 6455 §5.7).
    const key = Buffer.of(0x37, 0xfa, 0x21, 0x3d);
    await client.send(Buffer.of(0x81, 0x85, ...key, 0x7f, 0x9f, 0x4d, 0x51, 0x58));
    await expectFrame(
      client,
      1,
      Buffer.from('Hello'),
      'the echo of "Hello" (81 05 48 65 6c 6c 6f)',
      [key],
    );
    const text = Buffer.from('κόσμε, ハロー 👋');
    await client.send(clientFrame(1, text, keyOf(1)));
    await expectFrame(client, 1, text, 'the echo of a UTF-8 text', [keyOf(1)]);
  });

  it('echoes a binary frame of any bytes as binary, unchanged', async () => {
    const server = await startTarget();
    const client = await connectAndUpgrade(server);
    const bytes = Buffer.concat([
      Buffer.of(0xff, 0xfe, 0x00, 0xc0, 0xaf, 0xed, 0xa0, 0x80),
      seededBytes(3, 92),
    ]);
    await client.send(clientFrame(2, bytes, keyOf(2)));
    await expectFrame(client, 2, bytes, 'the echo of 100 bytes of binary (not UTF-8)', [keyOf(2)]);
    await client.send(clientFrame(2, Buffer.alloc(0), keyOf(3)));
    await expectFrame(client, 2, Buffer.alloc(0), 'the echo of an empty binary frame');
  });

  it("unmasks each frame with its own key, whatever the payload's length", async () => {
    const server = await startTarget();
    const client = await connectAndUpgrade(server);
    const keys: Buffer[] = [];
    for (const [i, text] of ['a', 'four', 'seven!!', 'thirteen byte'].entries()) {
      const key = keyOf(10 + i);
      keys.push(key);
      await client.send(clientFrame(1, Buffer.from(text), key));
      await expectFrame(
        client,
        1,
        Buffer.from(text),
        `the echo of "${text}" (masked with ${key.toString('hex')})`,
        keys,
      );
    }
  });

  it('echoes payloads of 126, 200 and 65,535 bytes with the 16-bit length form', async () => {
    const server = await startTarget();
    const client = await connectAndUpgrade(server);
    for (const [i, length] of [200, 126, 65_535].entries()) {
      const payload = seededBytes(20 + i, length);
      const key = keyOf(20 + i);
      await client.send(clientFrame(2, payload, key));
      await expectFrame(client, 2, payload, `the echo of ${length} bytes (16-bit length form)`, [
        key,
      ]);
    }
  });

  it('echoes payloads of 65,536 and 70,000 bytes with the 64-bit length form', async () => {
    const server = await startTarget();
    const client = await connectAndUpgrade(server);
    for (const [i, length] of [70_000, 65_536].entries()) {
      const payload = Buffer.from(
        '0123456789abcdef'.repeat(Math.ceil(length / 16)).slice(0, length),
      );
      const key = keyOf(30 + i);
      await client.send(clientFrame(1, payload, key));
      await expectFrame(
        client,
        1,
        payload,
        `the echo of ${length} bytes of text (64-bit length form)`,
        [key],
      );
    }
  });

  it('reads frames however TCP cuts them: three in one write, one written a byte at a time, one right behind the handshake', async () => {
    const server = await startTarget();
    const client = await connectAndUpgrade(server);
    const words = ['one', 'two', 'three'].map((w) => Buffer.from(w));
    await client.send(Buffer.concat(words.map((w, i) => clientFrame(1, w, keyOf(40 + i)))));
    for (const [i, word] of words.entries()) {
      await expectFrame(
        client,
        1,
        word,
        `echo ${i + 1} of 3 frames sent in one write (loop until the buffer holds no whole frame)`,
        [keyOf(40 + i)],
      );
    }
    const split = clientFrame(2, seededBytes(44, 300), keyOf(44));
    for (const byte of split) await client.send(Buffer.of(byte));
    await expectFrame(
      client,
      2,
      seededBytes(44, 300),
      'the echo of a 300-byte frame written one byte at a time (keep the bytes of a frame that is not whole yet)',
      [keyOf(44)],
    );

    const other = await connectGraded(server);
    const key = seededBytes(45, 16).toString('base64');
    const head = requestHead(key);
    await other.send(
      Buffer.concat([Buffer.from(head, 'latin1'), clientFrame(1, Buffer.from('early'), keyOf(45))]),
    );
    await expect101(other, key, head);
    await expectFrame(
      other,
      1,
      Buffer.from('early'),
      'the echo of a frame sent in the same write as the handshake request (the bytes after the head are frames: keep them)',
      [keyOf(45)],
    );
  });

  it('answers a ping with a pong carrying the same payload', async () => {
    const server = await startTarget();
    const client = await connectAndUpgrade(server);
    const payloads = [
      Buffer.from('are you there?'),
      Buffer.alloc(0),
      Buffer.concat([Buffer.of(0xff, 0x00), seededBytes(50, 123)]),
    ];
    for (const [i, payload] of payloads.entries()) {
      await client.send(clientFrame(9, payload, keyOf(50 + i)));
      await expectFrame(client, 10, payload, `the pong to a ping of ${payload.length} bytes`, [
        keyOf(50 + i),
      ]);
    }
    // And the connection goes on: a ping is not the end of anything.
    await client.send(clientFrame(1, Buffer.from('after the pings'), keyOf(53)));
    await expectFrame(
      client,
      1,
      Buffer.from('after the pings'),
      'the echo of a text sent after the pings',
    );
  });

  it('answers a close with a close carrying the same code, then closes the TCP connection', async () => {
    const server = await startTarget();
    for (const [i, code] of [1000, 4321].entries()) {
      const client = await connectAndUpgrade(server, 60 + i);
      const payload = Buffer.concat([Buffer.of(code >> 8, code & 0xff), Buffer.from('bye')]);
      await client.send(clientFrame(8, payload, keyOf(60 + i)));
      await expectCloseEcho(client, code, keyOf(60 + i));
    }
  });

  it('keeps two clients apart: each gets its own echoes, even with a frame of one cut around the other', async () => {
    const server = await startTarget();
    const a = await connectAndUpgrade(server, 70);
    const b = await connectAndUpgrade(server, 71);
    const big = seededBytes(72, 70_000);
    const bigFrame = clientFrame(2, big, keyOf(72));
    // Half of A's frame, then all of B's exchange, then the rest of A's frame.
    await a.send(bigFrame.subarray(0, 35_000));
    await b.send(clientFrame(1, Buffer.from('from B'), keyOf(73)));
    await expectFrame(
      b,
      1,
      Buffer.from('from B'),
      "B's echo, while half of a frame from A waits (each connection keeps its own buffer)",
      [keyOf(73)],
    );
    await a.send(bigFrame.subarray(35_000));
    await expectFrame(
      a,
      2,
      big,
      "A's echo of 70,000 bytes sent in two halves, with B's frame in between",
      [keyOf(72)],
    );
    // The client that connected first still gets its own echoes, and nothing goes to the other.
    await a.send(clientFrame(1, Buffer.from('from A'), keyOf(74)));
    await expectFrame(
      a,
      1,
      Buffer.from('from A'),
      "A's echo (A connected first: the echo goes to the socket the frame came from)",
      [keyOf(74)],
    );
    await expectNothingElse(b, 'B, after A was echoed');
    await expectNothingElse(a, 'A, after B was echoed');
  });
});
