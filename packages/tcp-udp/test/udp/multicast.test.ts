import dgram from 'node:dgram';
import { pollUntil } from '@socketlab/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  isMulticastAddress,
  joinUdpMulticastGroup,
  listenUdpBroadcast,
  openUdpBroadcaster,
  openUdpMulticastSender,
  probeUdpBroadcast,
  probeUdpMulticast,
  type UdpDeliveryProbe,
} from '../../src/udp/multicast.ts';

// Only loopback is used: the group 239.255.0.0/16 (RFC 2365 organisation-local scope) is joined
// on interface 127.0.0.1 and sent with TTL 0, so nothing leaves this host. Whether this machine
// delivers multicast and broadcast on `lo` is probed first, not assumed (lessons/broadcast-multicast.md).
const GROUP = '239.255.77.1';

// Linux delivers both on `lo` (measured, lessons/broadcast-multicast.md): there a failed probe is a
// failure, not a reason to pass without testing anything. Elsewhere the probe's finding is the outcome.
const MUST_DELIVER = process.platform === 'linux';

let multicast: UdpDeliveryProbe;
let broadcast: UdpDeliveryProbe;
beforeAll(async () => {
  multicast = await probeUdpMulticast({ group: GROUP, timeoutMs: 5000 });
  broadcast = await probeUdpBroadcast({ timeoutMs: 5000 });
  console.info(`probe: ${multicast.detail}; ${broadcast.detail}`);
});

function collector() {
  const got: string[] = [];
  return { got, onMessage: (payload: Buffer) => got.push(payload.toString()) };
}

describe('UDP multicast on loopback', () => {
  it.each([
    ['224.0.0.1', true],
    ['239.255.77.1', true],
    ['223.255.255.255', false],
    ['240.0.0.1', false],
    ['ff02::1', true],
    ['fe80::1', false],
    ['127.0.0.1', false],
    ['not an address', false],
  ])('isMulticastAddress(%j) is %s', (address, expected) => {
    expect(isMulticastAddress(address)).toBe(expected);
  });

  it('delivers a group datagram to every member on this host, or the probe says why not', async () => {
    if (!multicast.supported && !MUST_DELIVER) {
      // Honest outcome on a host whose loopback cannot carry multicast: the probe tried, and says what failed.
      expect(multicast.detail).toMatch(/multicast to 239\.255\.77\.1 through 127\.0\.0\.1: /);
      return;
    }
    const a = collector();
    const b = collector();
    const first = await joinUdpMulticastGroup({ group: GROUP, onMessage: a.onMessage });
    onTestFinished(() => first.close());
    const second = await joinUdpMulticastGroup({
      group: GROUP,
      port: first.port,
      onMessage: b.onMessage,
    });
    onTestFinished(() => second.close());
    const tx = await openUdpMulticastSender({ ttl: 0 });
    onTestFinished(() => tx.close());
    for (const text of ['one', 'two', 'three']) await tx.send(Buffer.from(text), GROUP, first.port);
    await pollUntil(
      () => a.got.length === 3 && b.got.length === 3,
      `both members to get three datagrams (probe: ${multicast.detail})`,
    );
    expect(a.got).toEqual(['one', 'two', 'three']);
    expect(b.got).toEqual(['one', 'two', 'three']);
  });

  it('still delivers with loopback off when the interface is lo itself (measured on Linux)', async () => {
    if (!multicast.supported && !MUST_DELIVER) {
      expect(multicast.detail).toMatch(/multicast to 239\.255\.77\.1 through 127\.0\.0\.1: /);
      return;
    }
    const member = collector();
    const rx = await joinUdpMulticastGroup({ group: GROUP, onMessage: member.onMessage });
    onTestFinished(() => rx.close());
    const quiet = await openUdpMulticastSender({ ttl: 0, loopback: false });
    onTestFinished(() => quiet.close());
    const loud = await openUdpMulticastSender({ ttl: 0, loopback: true });
    onTestFinished(() => loud.close());
    await quiet.send(Buffer.from('not looped'), GROUP, rx.port);
    await loud.send(Buffer.from('looped'), GROUP, rx.port);
    // IP_MULTICAST_LOOP only governs the extra local copy made beside a real interface; a datagram
    // sent out of lo comes straight back in through lo as any received packet does.
    await pollUntil(() => member.got.length === 2, `both datagrams (probe: ${multicast.detail})`);
    expect(member.got).toEqual(['not looped', 'looped']);
  });

  it('refuses a group that is not multicast and a bad TTL', async () => {
    await expect(
      joinUdpMulticastGroup({ group: '127.0.0.1', onMessage: () => {} }),
    ).rejects.toThrow(TypeError);
    await expect(openUdpMulticastSender({ ttl: 256 })).rejects.toThrow(RangeError);
  });
});

describe('UDP broadcast on loopback', () => {
  it('reaches a listener on 127.255.255.255 with SO_BROADCAST, or the probe says why not', async () => {
    if (!broadcast.supported && !MUST_DELIVER) {
      expect(broadcast.detail).toMatch(/broadcast to 127\.255\.255\.255/);
      return;
    }
    const listener = collector();
    const rx = await listenUdpBroadcast({ onMessage: listener.onMessage });
    onTestFinished(() => rx.close());
    const tx = await openUdpBroadcaster();
    onTestFinished(() => tx.close());
    await tx.send(Buffer.from('anyone there?'), '127.255.255.255', rx.port);
    await pollUntil(() => listener.got.length === 1, `the broadcast (probe: ${broadcast.detail})`);
    expect(listener.got).toEqual(['anyone there?']);
  });

  it('is refused by the kernel (EACCES) from a socket without SO_BROADCAST', async () => {
    const socket = dgram.createSocket('udp4');
    onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      socket.send('x', 9, '127.255.255.255', (err) => resolve(err)),
    );
    expect(error?.code).toBe('EACCES');
  });

  it('refuses an IPv6 broadcaster: IPv6 has no broadcast', async () => {
    await expect(openUdpBroadcaster({ bindAddress: '::1' })).rejects.toThrow(TypeError);
  });
});
