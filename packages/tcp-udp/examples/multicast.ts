/**
 * Multicast and broadcast on this machine: probe what loopback delivers, then two members of one
 * group (239.255.77.1, RFC 2365 local scope, TTL 0: nothing leaves this host) hear one sender.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/multicast.ts
 *
 * Watch it with `tcpdump -ni lo udp` and `ip maddr show dev lo` in other terminals.
 */
import {
  joinUdpMulticastGroup,
  openUdpMulticastSender,
  probeUdpBroadcast,
  probeUdpMulticast,
} from '../src/index.ts';

const GROUP = '239.255.77.1';

const multicast = await probeUdpMulticast({ group: GROUP });
const broadcast = await probeUdpBroadcast();
console.log(`probe: ${multicast.detail}`);
console.log(`probe: ${broadcast.detail}`);
if (!multicast.supported) {
  console.log(
    'multicast does not reach this host through 127.0.0.1: see lessons/broadcast-multicast.md',
  );
  process.exit(1);
}

let heard = 0;
const done = new Promise<void>((resolve) => {
  const hear = (who: string) => (payload: Buffer, from: { address: string; port: number }) => {
    console.log(
      `${who} heard ${JSON.stringify(payload.toString())} from ${from.address}:${from.port}`,
    );
    if (++heard === 6) resolve();
  };
  void (async () => {
    const a = await joinUdpMulticastGroup({ group: GROUP, onMessage: hear('member A') });
    const b = await joinUdpMulticastGroup({
      group: GROUP,
      port: a.port,
      onMessage: hear('member B'),
    });
    const sender = await openUdpMulticastSender({ ttl: 0 });
    for (const text of ['one', 'two', 'three']) await sender.send(Buffer.from(text), GROUP, a.port);
    await done;
    await Promise.all([a.close(), b.close(), sender.close()]);
  })();
});
const watchdog = setTimeout(() => {
  console.log(`only ${heard} of 6 deliveries arrived within 3 s`);
  process.exit(1);
}, 3000);
await done;
clearTimeout(watchdog);
