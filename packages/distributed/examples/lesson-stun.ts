/**
 * What lessons/nat-traversal.md shows, printed on this machine: a STUN Binding request built by
 * hand, sent over node:dgram to the responder in examples/stun.ts on 127.0.0.1, and its
 * success response taken apart field by field; then three hostile datagrams the responder drops.
 * Exits 1 if the mapped address is not the client's own socket or anything is answered wrongly.
 *   pnpm exec tsx examples/lesson-stun.ts [--port 3478]
 * (`--port` fixes the responder's port, so that `tshark` decodes the exchange as STUN.)
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import {
  decodeXorMappedAddress,
  encodeBindingRequest,
  parseStunMessage,
  STUN_ATTR_XOR_MAPPED_ADDRESS,
  STUN_BINDING_SUCCESS,
  startStunResponder,
} from './stun.ts';

const portArg = process.argv.indexOf('--port');
const responder = await startStunResponder(
  '127.0.0.1',
  portArg > 0 ? Number(process.argv[portArg + 1]) : 0,
);
const client = createSocket('udp4');
client.bind(0, '127.0.0.1');
await once(client, 'listening');
const own = client.address();
console.log(`responder on 127.0.0.1:${responder.port}, client on ${own.address}:${own.port}`);

const failures: string[] = [];
const hex = (bytes: Buffer, from: number, to: number) => bytes.subarray(from, to).toString('hex');
const row = (bytes: string, what: string) => console.log(`  ${bytes.padEnd(26)}${what}`);

const transactionId = randomBytes(12);
const request = encodeBindingRequest(transactionId);
console.log(`→ Binding request, ${request.length} bytes`);
row(`${hex(request, 0, 2)} ${hex(request, 2, 4)}`, 'type Binding request, 0 bytes of attributes');
row(hex(request, 4, 8), 'magic cookie');
row(hex(request, 8, 20), 'transaction id: 96 random bits');

// UDP may lose a datagram even on loopback in theory; a real client retransmits (RFC 8489
// §6.2.1: 500 ms, doubling, 7 tries). Three tries, each bounded, are enough here.
let answer: [Buffer, { address: string; port: number }] | undefined;
let sent = 0;
for (let attempt = 0; attempt < 3 && !answer; attempt++) {
  sent++;
  client.send(request, responder.port, '127.0.0.1');
  const timer = AbortSignal.timeout(2000);
  answer = (await once(client, 'message', { signal: timer }).catch(() => undefined)) as
    | [Buffer, { address: string; port: number }]
    | undefined;
}
if (!answer) throw new Error('no STUN answer after 3 tries');
const [response, from] = answer;
const message = parseStunMessage(response);
console.log(
  `← Binding success response, ${response.length} bytes, from ${from.address}:${from.port}`,
);
row(
  `${hex(response, 0, 2)} ${hex(response, 2, 4)}`,
  `type Binding success response, ${response.readUInt16BE(2)} bytes of attributes`,
);
row(hex(response, 4, 8), 'magic cookie');
row(hex(response, 8, 20), 'transaction id: the same, so it answers our request');
row(`${hex(response, 20, 22)} ${hex(response, 22, 24)}`, 'XOR-MAPPED-ADDRESS, 8 bytes');
const attribute = message.attributes.find((a) => a.type === STUN_ATTR_XOR_MAPPED_ADDRESS);
if (message.type !== STUN_BINDING_SUCCESS || !attribute) throw new Error('not a success answer');
if (!message.transactionId.equals(transactionId)) failures.push('transaction id differs');
const mapped = decodeXorMappedAddress(attribute.value, message.transactionId);
row(
  `${hex(response, 24, 26)} ${hex(response, 26, 28)}`,
  `family IPv4, port XOR 2112 = ${mapped.port}`,
);
row(hex(response, 28, 32), `address XOR 2112a442 = ${mapped.address}`);
const same = mapped.address === own.address && mapped.port === own.port;
if (!same) failures.push(`mapped ${mapped.address}:${mapped.port}, socket ${own.port}`);
console.log(
  `mapped ${mapped.address}:${mapped.port} ${same ? '=' : '≠'} the client's own socket: ${
    same ? 'no NAT on this path' : 'something translated it'
  }`,
);

// Hostile input: too short, no magic cookie, an attribute that runs past the end.
const cut = Buffer.from(request.subarray(0, 5));
const noCookie = Buffer.from(request);
noCookie.writeUInt32BE(0xdeadbeef, 4);
const overrun = Buffer.concat([request, Buffer.from([0x00, 0x20, 0x00, 0x40])]);
overrun.writeUInt16BE(4, 2);
for (const junk of [cut, noCookie, overrun]) client.send(junk, responder.port, '127.0.0.1');
// A valid request after the junk: its answer proves the junk was read (datagrams to one port
// from one socket arrive in order on loopback) and that the responder is still up.
client.send(request, responder.port, '127.0.0.1');
await once(client, 'message', { signal: AbortSignal.timeout(5000) });
sent++;
console.log(
  `hostile datagrams dropped: ${responder.dropped().length}, answered: ${sent} good requests`,
);
for (const why of responder.dropped()) console.log(`  ${why}`);
if (responder.dropped().length !== 3 || responder.answered() !== sent)
  failures.push(`dropped ${responder.dropped().length}, answered ${responder.answered()}`);

client.close();
await responder.close();
if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exitCode = 1;
}
