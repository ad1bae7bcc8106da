import { existsSync } from 'node:fs';
import net from 'node:net';
import { nextEvent, rejectionOf, withTimeout } from '@socketlab/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNginx } from '../../src/balancing/index.ts';
import { DistributedError } from '../../src/errors.ts';
import { answers, balancer, client, endpoints, instances, probeNginx } from './helpers.ts';

const nginx = await probeNginx();

describe.skipIf(nginx.skip)('nginx in front of Socket.IO instances (http)', () => {
  beforeAll(() => nginx.require());

  it('without stickiness, long polling breaks: its requests land on instances that never saw the session', async () => {
    const list = await instances(3);
    const lb = await balancer({
      http: { upstreams: endpoints(list), stickiness: 'none' },
      accessLog: true,
    });
    const url = lb.http?.url as string;
    const error = await rejectionOf(client(url, { transports: ['polling'] }));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/xhr (post|poll) error/);
    // the instances answered "Session ID unknown" (400) to requests of a session they never had
    const log = await lb.accessLog();
    expect(log.some((line) => line.includes('sid=') && line.includes('" 400 '))).toBe(true);
    expect(list.filter((i) => i.requests > 0).length).toBeGreaterThan(1);
  });

  it('without stickiness, a WebSocket-only client is fine: one connection, one instance', async () => {
    const list = await instances(3);
    const lb = await balancer({ http: { upstreams: endpoints(list), stickiness: 'none' } });
    const socket = await client(lb.http?.url as string, { transports: ['websocket'] });
    const seen = await answers(socket, 5);
    expect(new Set(seen).size).toBe(1);
  });

  it('with a cookie, each polling client stays on one instance, and clients spread over all of them', async () => {
    const list = await instances(3);
    const lb = await balancer({
      http: { upstreams: endpoints(list), stickiness: 'cookie' },
      accessLog: true,
    });
    const owners: number[] = [];
    for (let k = 0; k < 6; k++) {
      const socket = await client(lb.http?.url as string, { transports: ['polling'] });
      const seen = await answers(socket, 5);
      expect(new Set(seen).size, `client ${k} answered by ${seen}`).toBe(1);
      owners.push(seen[0] as number);
      socket.disconnect();
    }
    // the pool is round robin (one worker): each new session goes to the next instance
    expect(new Set(owners).size).toBe(3);
    // every request after the handshake carried the cookie naming its instance
    const log = await lb.accessLog();
    const withSid = log.filter((line) => line.includes('sid='));
    expect(withSid.length).toBeGreaterThan(6 * 5);
    expect(withSid.every((line) => /cookie=[0-2]$/.test(line))).toBe(true);
  });

  it('with a cookie, polling upgrades to a WebSocket on the same instance', async () => {
    const list = await instances(3);
    const lb = await balancer({ http: { upstreams: endpoints(list), stickiness: 'cookie' } });
    const socket = await client(lb.http?.url as string); // polling first, then the upgrade
    const engine = socket.io.engine;
    if (engine.transport.name !== 'websocket') {
      await withTimeout(
        new Promise((resolve) => engine.once('upgrade', resolve)),
        'the upgrade to a WebSocket',
      );
    }
    expect(engine.transport.name).toBe('websocket');
    const seen = await answers(socket, 5);
    expect(new Set(seen).size).toBe(1);
  });

  it('with ip-hash, polling works, and every client of one address lands on one instance', async () => {
    const list = await instances(3);
    const lb = await balancer({ http: { upstreams: endpoints(list), stickiness: 'ip-hash' } });
    const owners = new Set<number>();
    for (let k = 0; k < 4; k++) {
      const socket = await client(lb.http?.url as string, { transports: ['polling'] });
      for (const index of await answers(socket, 3)) owners.add(index);
      socket.disconnect();
    }
    // all from 127.0.0.1: ip_hash's limit, why a cookie spreads load behind one NAT and this cannot
    expect(owners.size).toBe(1);
  });

  it('without the upgrade headers, a WebSocket cannot pass: the Upgrade never reaches the instance', async () => {
    const list = await instances(2);
    const lb = await balancer({
      http: { upstreams: endpoints(list), stickiness: 'cookie', websocket: false },
    });
    const error = await rejectionOf(client(lb.http?.url as string, { transports: ['websocket'] }));
    expect((error as Error).message).toMatch(/websocket error/);
    const working = await balancer({ http: { upstreams: endpoints(list), stickiness: 'cookie' } });
    await client(working.http?.url as string, { transports: ['websocket'] });
  });

  it('routes a forged or unknown cookie like no cookie, and rewrites it', async () => {
    const list = await instances(2);
    const lb = await balancer({ http: { upstreams: endpoints(list), stickiness: 'cookie' } });
    for (const forged of ['7', '../../etc', '0 1', '-1', 'x'.repeat(4_000)]) {
      const response = await fetch(`${lb.http?.url}/socket.io/?EIO=4&transport=polling`, {
        headers: { cookie: `sl_node=${forged}` },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('set-cookie')).toMatch(/^sl_node=[01]; Path=\/; HttpOnly/);
      await response.text();
    }
  });

  it('moves a client whose instance is down to another one, and rewrites its cookie', async () => {
    const list = await instances(3);
    const lb = await balancer({ http: { upstreams: endpoints(list), stickiness: 'cookie' } });
    await list[0]?.close();
    const response = await fetch(`${lb.http?.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { cookie: 'sl_node=0' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toMatch(/^sl_node=[12];/);
    await response.text();
  });
});

describe.skipIf(nginx.skip)('nginx stream with least_conn in front of raw TCP instances', () => {
  beforeAll(() => nginx.require());

  it('sends each new connection to the instance with the fewest open ones', async () => {
    const servers: { server: net.Server; open: Set<net.Socket> }[] = [];
    for (let i = 0; i < 3; i++) {
      const open = new Set<net.Socket>();
      const server = net.createServer((socket) => {
        open.add(socket);
        socket.on('close', () => open.delete(socket));
        socket.on('error', () => {});
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push({ server, open });
    }
    const lb = await balancer({
      stream: {
        upstreams: servers.map(({ server }) => ({
          host: '127.0.0.1',
          port: (server.address() as net.AddressInfo).port,
        })),
      },
    });
    const clients: net.Socket[] = [];
    /** Opens one connection through nginx; resolves with the index of the instance that got it. */
    const open = async (): Promise<number> => {
      const arrived = Promise.race(
        servers.map(({ server }, i) => nextEvent(server, 'connection').then(() => i)),
      );
      const socket = net.connect({ host: '127.0.0.1', port: lb.stream?.port as number });
      socket.on('error', () => {});
      clients.push(socket);
      return withTimeout(arrived, 'nginx to open the connection to an instance');
    };
    const first: number[] = [];
    for (let k = 0; k < 6; k++) first.push(await open());
    expect(servers.map(({ open }) => open.size)).toEqual([2, 2, 2]);
    // two connections of one instance close: the next two both go to it
    const emptied = first[0] as number;
    const closing = [...(servers[emptied]?.open ?? [])].map((s) => nextEvent(s, 'close'));
    for (const [k, index] of first.entries()) if (index === emptied) clients[k]?.destroy();
    await withTimeout(Promise.all(closing), 'nginx to close its side');
    expect([await open(), await open()]).toEqual([emptied, emptied]);
    for (const socket of clients) socket.destroy();
    for (const { server } of servers) server.close();
  });
});

describe.skipIf(nginx.skip)('startNginx: what goes wrong says so', () => {
  beforeAll(() => nginx.require());

  it('no nginx at the path given: DISTRIBUTED_ERR_UNAVAILABLE with how to install it', async () => {
    const error = await rejectionOf(
      startNginx({
        binary: '/nonexistent/nginx',
        http: { upstreams: [{ host: '127.0.0.1', port: 1 }] },
      }),
    );
    expect(error).toBeInstanceOf(DistributedError);
    expect(error).toMatchObject({ code: 'DISTRIBUTED_ERR_UNAVAILABLE' });
    expect((error as Error).message).toMatch(/apt-get install nginx/);
  });

  it('a port another process holds: DISTRIBUTED_ERR_UNAVAILABLE with nginx’s own words', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const error = await rejectionOf(
        startNginx({
          http: { listen: { port }, upstreams: [{ host: '127.0.0.1', port: await freePort() }] },
        }),
      );
      expect(error).toMatchObject({ code: 'DISTRIBUTED_ERR_UNAVAILABLE' });
      expect((error as Error).message).toMatch(/Address already in use/);
    } finally {
      holder.close();
    }
  });

  it('stops: the ports are free again and its directory is gone', async () => {
    const list = await instances(1);
    const lb = await startNginx({ http: { upstreams: endpoints(list) } });
    const port = lb.http?.port as number;
    await lb.stop();
    await lb.stop(); // twice is fine
    const error = await rejectionOf(
      new Promise((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
        socket.once('error', reject);
      }),
    );
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(existsSync(lb.prefix)).toBe(false);
  });
});
