import { createHash } from 'node:crypto';
import {
  connectGraded,
  hexdump,
  isModuleTarget,
  lessonOf,
  loadExercise,
  printable,
  type ServerUnderTest,
  seededBytes,
  startGradedServer,
  type WireClient,
  WireError,
} from '@socketlab/testkit';
import { describe, it } from 'vitest';

// A wire-level spec for the server (it talks to it only over sockets, so it grades the solution,
// your exercise, or a program in any language: SOCKETLAB_TARGET='cmd:python3 my_server.py'),
// and a direct one for acceptKey(), which runs only against code in this repository.
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);

/** RFC 6455 §1.3: the GUID, and the worked example of a key and its accept value. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** The expected accept value, from node:crypto alone (never from the code being graded). */
const expectedAccept = (key: string): string =>
  createHash('sha1').update(`${key}${GUID}`, 'latin1').digest('base64');

/** A fresh, valid key from a seed: the base64 of 16 seeded bytes. */
const seededKey = (seed: number): string => seededBytes(seed, 16).toString('base64');

function startTarget(): Promise<ServerUnderTest> {
  return startGradedServer<Exercise>(import.meta.url, (mod) => mod.startHandshakeServer(0), {
    uncaughtHint: `Give every socket an 'error' listener: one client's reset is thrown otherwise, and stops the server. ${lesson.see('Your task')}`,
  });
}

type Fields = readonly (readonly [string, string])[];

/** The fields of a valid upgrade request for `key`, as a browser sends them (minus Origin). */
const upgradeFields = (key: string): Fields => [
  ['Host', '127.0.0.1'],
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Key', key],
  ['Sec-WebSocket-Version', '13'],
];

/** A request head: the request line, `Name: value` lines, the empty line. */
const requestHead = (fields: Fields, requestLine = 'GET /chat HTTP/1.1'): string =>
  `${requestLine}\r\n${fields.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;

/** Replaces (or, with `undefined`, removes) the field named `name` (case-insensitively). */
const withField = (fields: Fields, name: string, value: string | undefined): Fields =>
  fields.flatMap(([n, v]): (readonly [string, string])[] =>
    n.toLowerCase() !== name.toLowerCase() ? [[n, v]] : value === undefined ? [] : [[n, value]],
  );

interface ResponseHead {
  status: number;
  statusLine: string;
  /** Lowercase name → value (repeated fields joined with ", "). */
  headers: Map<string, string>;
  text: string;
}

/**
 * Reads one response head, up to its empty line, and nothing after it. Fails with what was sent,
 * what came back and where to read when it does not come, or is not HTTP.
 */
async function readResponseHead(
  client: WireClient,
  sent: string,
  section: string,
): Promise<ResponseHead> {
  const lines: string[] = [];
  for (;;) {
    let line: string;
    try {
      line = (await client.readLineBytes()).toString('latin1');
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      throw new WireError(
        `${error.message}\nWe sent ${printable(sent)} and waited for a whole response head: a status line and header lines, each ending in \\r\\n, then an empty line (\\r\\n). Answer only once the request's empty line has arrived, then write the whole head. ${lesson.see(section)}`,
      );
    }
    if (!line.endsWith('\r\n')) {
      throw client.fail(
        `the response line ${printable(line)} ends in a bare \\n: every line of an HTTP head ends in \\r\\n. ${lesson.see('The answer')}`,
      );
    }
    if (line === '\r\n') break;
    lines.push(line.slice(0, -2));
    if (lines.length > 100) throw client.fail('more than 100 header lines without an empty line');
  }
  const statusLine = lines[0] ?? '';
  const match = /^HTTP\/1\.1 (\d{3})(?: |$)/.exec(statusLine);
  if (!match) {
    throw client.fail(
      `the status line ${printable(statusLine)} is not "HTTP/1.1 <3 digits> <reason>". ${lesson.see('The answer')}`,
    );
  }
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) {
      throw client.fail(
        `the header line ${printable(line)} is not "Name: value". ${lesson.see('The answer')}`,
      );
    }
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  return {
    status: Number(match[1]),
    statusLine,
    headers,
    text: `${lines.join('\r\n')}\r\n\r\n`,
  };
}

/** True when the comma-separated `value` holds `token`, case-insensitively. */
const listHas = (value: string | undefined, token: string): boolean =>
  (value ?? '').split(',').some((item) => item.trim().toLowerCase() === token);

/** Checks a 101 answer for `key`; `why` says what this request had that a learner may trip on. */
function expect101(
  client: WireClient,
  response: ResponseHead,
  key: string,
  why: string,
  section: string,
  trap?: { key: string; means: string },
): void {
  const h = response.headers;
  if (response.status !== 101) {
    throw client.fail(
      `expected "HTTP/1.1 101 Switching Protocols", got ${printable(response.statusLine)}. ${why}. ${lesson.see(section)}`,
    );
  }
  if (!listHas(h.get('upgrade'), 'websocket')) {
    throw client.fail(
      `the 101 needs "Upgrade: websocket", got ${printable(h.get('upgrade') ?? '(no Upgrade header)')}. ${lesson.see('The answer')}`,
    );
  }
  if (!listHas(h.get('connection'), 'upgrade')) {
    throw client.fail(
      `the 101 needs "Connection: Upgrade", got ${printable(h.get('connection') ?? '(no Connection header)')}. ${lesson.see('The answer')}`,
    );
  }
  const got = h.get('sec-websocket-accept');
  const expected = expectedAccept(key);
  if (got !== expected) {
    const trapped = trap !== undefined && got === expectedAccept(trap.key);
    const hint =
      got === undefined
        ? 'the 101 has no Sec-WebSocket-Accept header'
        : trapped
          ? trap.means
          : `that is not base64(SHA-1(key + GUID)) of the key ${printable(key)}`;
    throw client.fail(
      `Sec-WebSocket-Accept: expected ${expected}, got ${printable(got ?? '(absent)')}: ${hint}. ${lesson.see(trapped ? section : 'Sec-WebSocket-Accept')}`,
    );
  }
}

/**
 * After a 101 the connection stays open and the server says nothing more (frames come in
 * exercise 02). A whole second handshake on another connection is the clock: by the time it is
 * answered, a FIN or stray bytes written after the first 101 have arrived too.
 */
async function expectOpenAndQuiet(
  client: WireClient,
  server: ServerUnderTest,
  afterWhat: string,
): Promise<void> {
  const other = await connectGraded(server);
  const key = seededKey(99);
  const sent = requestHead(upgradeFields(key));
  await other.send(sent);
  expect101(
    other,
    await readResponseHead(other, sent, 'Your task'),
    key,
    'A plain upgrade request',
    'Your task',
  );
  if (client.socket.readableEnded || client.socket.destroyed) {
    throw client.fail(
      `the server closed the connection after its 101 (${afterWhat}): after a 101 the connection is a WebSocket, so keep it open. ${lesson.see('After the 101')}`,
    );
  }
  let extra: Buffer | undefined;
  try {
    extra = await client.readBytes(1, 0);
  } catch {
    return; // nothing more arrived, and the connection is open: as it should be
  }
  throw client.fail(
    `after its 101 head (${afterWhat}) the server sent more bytes, starting ${printable(extra)}: the 101 head ends at its empty line, and nothing follows until frames (exercise 02). If that is a second answer, the bytes after the request's head were read as another request. ${lesson.see('After the 101')}`,
  );
}

/** Reads a refusal: one of `statuses`, `Connection: close`, then the server's end of the stream. */
async function expectRefusal(
  client: WireClient,
  sent: string,
  statuses: readonly number[],
  what: string,
  section: string,
): Promise<ResponseHead> {
  const response = await readResponseHead(client, sent, section);
  if (!statuses.includes(response.status)) {
    throw client.fail(
      `${what}: expected status ${statuses.join(' or ')}, got ${printable(response.statusLine)}. ${lesson.see(section)}`,
    );
  }
  if (!listHas(response.headers.get('connection'), 'close')) {
    throw client.fail(
      `a refusal says "Connection: close" (the connection will not become a WebSocket), got ${printable(response.headers.get('connection') ?? '(no Connection header)')}. ${lesson.see('Refusing')}`,
    );
  }
  try {
    await client.readToEnd();
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    throw new WireError(
      `${error.message}\nAfter a refusal, close the connection (socket.end(answer)): it said "Connection: close". ${lesson.see('Refusing')}`,
    );
  }
  return response;
}

describe.runIf(isModuleTarget())('acceptKey()', () => {
  const load = () => loadExercise<Exercise>(import.meta.url);

  /** Names the usual near misses: hex, no GUID, a decoded key, SHA-256. */
  function diagnose(key: string, got: string): string {
    const sha1 = (data: Buffer | string) => createHash('sha1').update(data);
    if (got === createHash('sha1').update(`${key}${GUID}`).digest('hex'))
      return 'that is the hex digest: digest it as base64';
    if (got === sha1(key).digest('base64'))
      return 'that is the hash of the key alone: append the GUID';
    if (
      got === sha1(Buffer.concat([Buffer.from(key, 'base64'), Buffer.from(GUID)])).digest('base64')
    )
      return 'that hashes the DECODED key: hash the 24 characters of the key as sent, never decoded';
    if (got === createHash('sha256').update(`${key}${GUID}`).digest('base64'))
      return 'that is SHA-256: the handshake uses SHA-1';
    if (got === sha1(`${key}${GUID.toLowerCase()}`).digest('base64'))
      return 'the GUID is upper case, exactly as RFC 6455 writes it';
    return 'expected base64(SHA-1(key + GUID))';
  }

  it("RFC 6455's own example: dGhlIHNhbXBsZSBub25jZQ== gives s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", async () => {
    const { acceptKey } = await load();
    const got = acceptKey(RFC_KEY);
    if (got !== RFC_ACCEPT) {
      throw new Error(
        `acceptKey(${printable(RFC_KEY)}) returned ${printable(String(got))}, expected ${RFC_ACCEPT} (RFC 6455 §1.3): ${diagnose(RFC_KEY, String(got))}. ${lesson.see('Sec-WebSocket-Accept')}`,
      );
    }
  });

  it('50 seeded random keys agree with node:crypto', async () => {
    const { acceptKey } = await load();
    for (let seed = 1; seed <= 50; seed++) {
      const key = seededKey(seed);
      const got = acceptKey(key);
      if (got !== expectedAccept(key)) {
        throw new Error(
          `acceptKey(${printable(key)}) (seed ${seed}) returned ${printable(String(got))}, expected ${expectedAccept(key)}: ${diagnose(key, String(got))}. ${lesson.see('Sec-WebSocket-Accept')}`,
        );
      }
    }
  });
});

describe('a handshake server (graded over the wire)', () => {
  it("answers RFC 6455's example request with 101 and its accept value, then keeps the connection open", async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    const sent = requestHead(upgradeFields(RFC_KEY));
    await client.send(sent);
    const response = await readResponseHead(client, sent, 'Your task');
    expect101(client, response, RFC_KEY, 'This is a valid upgrade request', 'Your task');
    await expectOpenAndQuiet(client, server, 'a valid upgrade request');
  });

  it('answers a random key with the accept value node:crypto computes', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    const seed = 7;
    const key = seededKey(seed);
    const sent = requestHead(upgradeFields(key));
    await client.send(sent);
    const response = await readResponseHead(client, sent, 'Your task');
    expect101(client, response, key, `A valid request (key from seed ${seed})`, 'Your task', {
      key: RFC_KEY,
      means: "that is the RFC example's accept value: compute it from THIS request's key",
    });
  });

  it('waits for the whole head when it arrives one byte per write', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    client.socket.setNoDelay(true);
    const key = seededKey(11);
    const sent = requestHead(upgradeFields(key));
    for (const byte of Buffer.from(sent, 'latin1')) await client.send(Buffer.of(byte));
    const response = await readResponseHead(client, sent, 'Reading the head');
    expect101(
      client,
      response,
      key,
      `We sent ${printable(sent)} one byte per write. The request arrived one byte per 'data' event: keep the bytes of each connection and answer only once \\r\\n\\r\\n is among them`,
      'Reading the head',
    );
    await expectOpenAndQuiet(client, server, 'a request sent one byte at a time');
  });

  it('reads only the head when frame bytes follow it in the same write', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    const key = seededKey(12);
    const decoy = seededKey(13);
    // A masked text frame (FIN, opcode 1) whose mask is 0 so that its payload reads as text: it
    // looks like more header lines, and a second request, to a server that parses past the head.
    const payload = Buffer.from(
      `\r\nSec-WebSocket-Key: ${decoy}\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n`,
      'latin1',
    );
    const frame = Buffer.concat([Buffer.of(0x81, 0x80 | payload.length, 0, 0, 0, 0), payload]);
    const head = requestHead(upgradeFields(key));
    const sent = Buffer.concat([Buffer.from(head, 'latin1'), frame]);
    await client.send(sent);
    const shown = `We sent the head (${head.length} bytes) and, in the same write, this frame:\n${hexdump(frame)}\n`;
    const response = await readResponseHead(client, sent.toString('latin1'), 'Reading the head');
    expect101(
      client,
      response,
      key,
      `${shown}The head ended in the middle of this chunk: what follows its empty line are WebSocket frames, not headers`,
      'Reading the head',
      {
        key: decoy,
        means: `${shown}that is the accept value of the key INSIDE THE FRAME after the head: stop parsing at the head's empty line`,
      },
    );
    await expectOpenAndQuiet(client, server, 'a request with frame bytes after its head');
  });

  it('refuses a plain HTTP request (no Upgrade, Connection: keep-alive) with 400 or 426, Connection: close, and closes', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    const fields = withField(
      withField(upgradeFields(RFC_KEY), 'Upgrade', undefined),
      'Connection',
      'keep-alive',
    );
    const sent = requestHead(fields);
    await client.send(sent);
    const response = await expectRefusal(
      client,
      sent,
      [400, 426],
      'There is no "Upgrade: websocket": this is not an upgrade request',
      'Checking the request',
    );
    if (response.status === 426 && !listHas(response.headers.get('upgrade'), 'websocket')) {
      throw client.fail(
        `a 426 must say which protocol to upgrade to (RFC 9110 §15.5.22): "Upgrade: websocket", got ${printable(response.headers.get('upgrade') ?? '(no Upgrade header)')}. ${lesson.see('Refusing')}`,
      );
    }
  });

  it('refuses Sec-WebSocket-Version: 8 with 426 and Sec-WebSocket-Version: 13, and closes', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    const sent = requestHead(withField(upgradeFields(RFC_KEY), 'Sec-WebSocket-Version', '8'));
    await client.send(sent);
    const response = await expectRefusal(
      client,
      sent,
      [426],
      'Version 8 is a draft this server does not speak',
      'Refusing',
    );
    if (response.headers.get('sec-websocket-version') !== '13') {
      throw client.fail(
        `a 426 for a wrong version says which versions the server speaks: "Sec-WebSocket-Version: 13", got ${printable(response.headers.get('sec-websocket-version') ?? '(no Sec-WebSocket-Version header)')}. ${lesson.see('Refusing')}`,
      );
    }
  });

  it('refuses a key that is not the base64 of 16 bytes (11, 20 bytes; absent) with 400 and closes', async () => {
    const server = await startTarget();
    const keys: [string | undefined, string][] = [
      ['dGhlIHNhbXBsZQ==', 'the base64 of 11 bytes'],
      [seededBytes(5, 20).toString('base64'), 'the base64 of 20 bytes'],
      [undefined, 'no Sec-WebSocket-Key at all'],
    ];
    for (const [key, what] of keys) {
      const client = await connectGraded(server);
      const sent = requestHead(withField(upgradeFields(RFC_KEY), 'Sec-WebSocket-Key', key));
      await client.send(sent);
      await expectRefusal(
        client,
        sent,
        [400],
        `The key is ${what}: a key is 16 random bytes in base64 (24 characters)`,
        'Checking the request',
      );
    }
  });

  it('refuses a request whose Connection does not hold "upgrade" with 400 and closes', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    const sent = requestHead(withField(upgradeFields(RFC_KEY), 'Connection', 'keep-alive'));
    await client.send(sent);
    await expectRefusal(
      client,
      sent,
      [400],
      'Connection is "keep-alive" alone: without "upgrade" in it, a proxy would not pass the Upgrade on',
      'Checking the request',
    );
  });

  it('matches header names in any case and trims the spaces around values', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    const key = seededKey(21);
    const sent = requestHead([
      ['host', '127.0.0.1'],
      ['uPgRaDe', 'WebSocket'],
      ['CONNECTION', 'UPGRADE'],
      ['sec-websocket-key', `  ${key} `],
      ['SEC-WEBSOCKET-VERSION', '13'],
    ]);
    await client.send(sent);
    const response = await readResponseHead(client, sent, 'Checking the request');
    expect101(
      client,
      response,
      key,
      'Header names are case-insensitive (RFC 9110 §5.1), so are the tokens websocket and upgrade, and the spaces around a value are not part of it (RFC 9110 §5.5)',
      'Checking the request',
    );
  });

  it('accepts "Connection: keep-alive, Upgrade" (a list, as Firefox sends it)', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    const key = seededKey(22);
    const sent = requestHead(withField(upgradeFields(key), 'Connection', 'keep-alive, Upgrade'));
    await client.send(sent);
    const response = await readResponseHead(client, sent, 'Checking the request');
    expect101(
      client,
      response,
      key,
      'Connection is a comma-separated list: look for the token upgrade in it, do not compare the whole value',
      'Checking the request',
    );
    await expectOpenAndQuiet(client, server, 'Connection: keep-alive, Upgrade');
  });
});
