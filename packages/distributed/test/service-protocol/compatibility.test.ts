import type net from 'node:net';
import {
  connectTcp,
  fromHex,
  nextEvent,
  pollUntil,
  rejectionOf,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { DistributedError } from '../../src/errors.ts';
import {
  connectService,
  listenService,
  type ServiceMessage,
  type ServiceProtocol,
  ServiceVersionError,
} from '../../src/service-protocol/index.ts';
import { ONLY_V1, ONLY_V2, V1_AND_V2 } from './protocols.ts';

/** A user service that always answers in its latest shape, whatever version it speaks. */
async function userService(protocol: ServiceProtocol) {
  const events: ServiceMessage[] = [];
  const errors: DistributedError[] = [];
  const server = await listenService({
    protocol,
    onRequest: ({ value }) => ({
      name: 'user',
      value: { userId: value.userId, name: 'ada', email: 'ada@example.org' },
    }),
    onEvent: (event) => events.push(event),
    onError: (error) => errors.push(error),
  });
  onTestFinished(() => server.close());
  return { port: server.address.port, events, errors };
}

async function client(port: number, protocol: ServiceProtocol) {
  const connection = await connectService({ host: '127.0.0.1', port, protocol });
  onTestFinished(() => connection.destroy());
  return connection;
}

/** Everything a raw socket receives until the server closes it. */
async function bytesUntilClose(socket: net.Socket): Promise<Buffer> {
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  await nextEvent(socket, 'close');
  return Buffer.concat(received);
}

describe('service protocol across versions, over TCP', () => {
  it('a version 1 client and a version 1–2 server agree on 1; the server answers in version 1', async () => {
    const service = await userService(V1_AND_V2);
    const old = await client(service.port, ONLY_V1);
    expect(old.version).toBe(1);
    const reply = await withTimeout(old.request('getUser', { userId: 7 }), 'the response');
    // Written in version 1: the email the server gave is not on the wire.
    expect(reply).toEqual({ name: 'user', value: { userId: 7, name: 'ada' } });
    await old.notify('userSeen', { userId: 7 });
    await pollUntil(() => service.events.length === 1, 'the event');
    // Read by the version 2 server with the default for the field version 1 lacks.
    expect(service.events[0]?.value).toEqual({ userId: 7, at: 0 });
  });

  it('a version 1–2 client and a version 1 server agree on 1; the client fills the defaults', async () => {
    const service = await userService(ONLY_V1);
    const recent = await client(service.port, V1_AND_V2);
    expect(recent.version).toBe(1);
    const reply = await withTimeout(recent.request('getUser', { userId: 7 }), 'the response');
    expect(reply.value).toEqual({ userId: 7, name: 'ada', email: '' });
    await recent.notify('userSeen', { userId: 9, at: 123 });
    await pollUntil(() => service.events.length === 1, 'the event');
    expect(service.events[0]?.value).toEqual({ userId: 9 });
  });

  it('two version 1–2 sides agree on 2 and keep every field', async () => {
    const service = await userService(V1_AND_V2);
    const recent = await client(service.port, V1_AND_V2);
    expect(recent.version).toBe(2);
    const reply = await withTimeout(recent.request('getUser', { userId: 7 }), 'the response');
    expect(reply.value).toEqual({ userId: 7, name: 'ada', email: 'ada@example.org' });
  });

  it('a version 2 client and a version 1 server share no version: a typed error on both sides and a CLOSE frame with the reason', async () => {
    const service = await userService(ONLY_V1);
    const thrown = await rejectionOf(
      client(service.port, ONLY_V2),
      'connecting with no common version',
    );
    expect(thrown).toBeInstanceOf(ServiceVersionError);
    expect((thrown as ServiceVersionError).code).toBe('DISTRIBUTED_ERR_PAYLOAD');
    expect((thrown as Error).message).toContain('the server speaks 1–1, the client 2–2');
    await pollUntil(() => service.errors.length === 1, 'the server to report it');
    expect(service.errors[0]).toBeInstanceOf(ServiceVersionError);
    expect((service.errors[0] as ServiceVersionError).theirs).toEqual({ min: 2, max: 2 });
  });

  it('the CLOSE for no common version is the bytes the wire format says', async () => {
    const service = await userService(ONLY_V1);
    const raw = await connectTcp(service.port);
    onTestFinished(() => {
      raw.destroy();
    });
    raw.write(fromHex('00000009 01 534c5350 0002 0003'));
    const bytes = await withTimeout(bytesUntilClose(raw), 'the server to close');
    const detail = Buffer.from('the server speaks 1–1, the client 2–3');
    const expected = Buffer.concat([
      fromHex((4 + detail.length).toString(16).padStart(8, '0')),
      fromHex('03 01'),
      fromHex(detail.length.toString(16).padStart(4, '0')),
      detail,
    ]);
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
  });

  it('a real version 1–2 server answers a version 1 peer with the golden version 1 bytes', async () => {
    const service = await userService(V1_AND_V2);
    const raw = await connectTcp(service.port);
    onTestFinished(() => {
      raw.destroy();
    });
    const received: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => received.push(chunk));
    raw.write(fromHex('00000009 01 534c5350 0001 0001 0000000c 10 00000001 0001 01 00000007'));
    const expected = fromHex('00000003 02 0001 00000011 11 00000001 0002 01 00000007 0003 616461');
    await pollUntil(
      () => Buffer.concat(received).length >= expected.length,
      'the WELCOME and the response',
    );
    expect(Buffer.concat(received).toString('hex')).toBe(expected.toString('hex'));
  });
});
