/**
 * Just enough STUN (RFC 8489) for lessons/nat-traversal.md: a Binding request, a Binding success
 * response carrying XOR-MAPPED-ADDRESS, and a strict parser for both. Written by hand over
 * `Buffer` so every byte on the wire is visible; a real client also needs retransmissions,
 * FINGERPRINT, MESSAGE-INTEGRITY and the rest (see the lesson).
 * @see https://www.rfc-editor.org/rfc/rfc8489
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { isIPv4, isIPv6 } from 'node:net';
import { DistributedError } from '../src/errors.ts';

/** The fixed 32 bits every STUN message carries at bytes 4..7 (RFC 8489 §5). */
export const STUN_MAGIC_COOKIE = 0x2112a442;
/** Binding request: class request, method Binding (0x001). */
export const STUN_BINDING_REQUEST = 0x0001;
/** Binding success response: class success response, method Binding. */
export const STUN_BINDING_SUCCESS = 0x0101;
/** The XOR-MAPPED-ADDRESS attribute (RFC 8489 §14.2). */
export const STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020;
/** Header bytes before the attributes. */
export const STUN_HEADER_BYTES = 20;

/** A parsed STUN message: its type, its 96-bit transaction id and its raw attributes in order. */
export interface StunMessage {
  readonly type: number;
  readonly transactionId: Buffer;
  readonly attributes: ReadonlyArray<{ readonly type: number; readonly value: Buffer }>;
}

/** A transport address as XOR-MAPPED-ADDRESS carries it. */
export interface StunAddress {
  readonly family: 'IPv4' | 'IPv6';
  readonly address: string;
  readonly port: number;
}

const bad = (why: string): DistributedError =>
  new DistributedError('DISTRIBUTED_ERR_PAYLOAD', `not a STUN message: ${why}`);

function header(type: number, transactionId: Buffer, attributeBytes: number): Buffer {
  if (transactionId.length !== 12) throw bad('a transaction id is 12 bytes');
  const head = Buffer.alloc(STUN_HEADER_BYTES);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(attributeBytes, 2);
  head.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  transactionId.copy(head, 8);
  return head;
}

/** A Binding request with no attributes: 20 bytes. */
export function encodeBindingRequest(transactionId: Buffer): Buffer {
  return header(STUN_BINDING_REQUEST, transactionId, 0);
}

/** The 16 bytes an IPv6 address is XORed with: the magic cookie, then the transaction id. */
function xorKey(transactionId: Buffer): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(STUN_MAGIC_COOKIE, 0);
  transactionId.copy(key, 4);
  return key;
}

function ipBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address) || address.includes('.')) throw bad(`cannot encode address ${address}`);
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  const bytes = Buffer.alloc(16);
  for (const [i, group] of groups.entries()) bytes.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  return bytes;
}

/** The value of an XOR-MAPPED-ADDRESS attribute (8 bytes for IPv4, 20 for IPv6). */
export function encodeXorMappedAddress(mapped: StunAddress, transactionId: Buffer): Buffer {
  const ip = ipBytes(mapped.address);
  const key = xorKey(transactionId);
  const value = Buffer.alloc(4 + ip.length);
  value.writeUInt8(ip.length === 4 ? 0x01 : 0x02, 1);
  value.writeUInt16BE(mapped.port ^ (STUN_MAGIC_COOKIE >>> 16), 2);
  for (let i = 0; i < ip.length; i++) value[4 + i] = (ip[i] ?? 0) ^ (key[i] ?? 0);
  return value;
}

/** Decodes an XOR-MAPPED-ADDRESS value; the transaction id is needed for IPv6. */
export function decodeXorMappedAddress(value: Buffer, transactionId: Buffer): StunAddress {
  const family = value.length >= 4 ? value.readUInt8(1) : 0;
  const length = family === 0x01 ? 4 : family === 0x02 ? 16 : -1;
  if (length < 0 || value.length !== 4 + length) throw bad('XOR-MAPPED-ADDRESS is malformed');
  const key = xorKey(transactionId);
  const ip = Buffer.alloc(length);
  for (let i = 0; i < length; i++) ip[i] = (value[4 + i] ?? 0) ^ (key[i] ?? 0);
  const port = value.readUInt16BE(2) ^ (STUN_MAGIC_COOKIE >>> 16);
  if (length === 4) return { family: 'IPv4', address: [...ip].join('.'), port };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(ip.readUInt16BE(i).toString(16));
  return { family: 'IPv6', address: groups.join(':'), port };
}

/** A Binding success response whose only attribute is XOR-MAPPED-ADDRESS. */
export function encodeBindingSuccess(transactionId: Buffer, mapped: StunAddress): Buffer {
  const value = encodeXorMappedAddress(mapped, transactionId);
  const attribute = Buffer.alloc(4);
  attribute.writeUInt16BE(STUN_ATTR_XOR_MAPPED_ADDRESS, 0);
  attribute.writeUInt16BE(value.length, 2);
  return Buffer.concat([
    header(STUN_BINDING_SUCCESS, transactionId, 4 + value.length),
    attribute,
    value,
  ]);
}

/**
 * Parses one datagram as a STUN message, refusing anything else with `DISTRIBUTED_ERR_PAYLOAD`:
 * the first two bits must be zero, the magic cookie present, the length field equal to what
 * follows the header and a multiple of 4, and every attribute inside the message.
 */
export function parseStunMessage(datagram: Buffer): StunMessage {
  if (datagram.length < STUN_HEADER_BYTES) throw bad(`${datagram.length} bytes is too short`);
  const type = datagram.readUInt16BE(0);
  if (type & 0xc000) throw bad('the first two bits are not zero');
  if (datagram.readUInt32BE(4) !== STUN_MAGIC_COOKIE) throw bad('no magic cookie');
  const length = datagram.readUInt16BE(2);
  if (length % 4 !== 0 || length !== datagram.length - STUN_HEADER_BYTES)
    throw bad(`length field ${length} for ${datagram.length - STUN_HEADER_BYTES} bytes`);
  const attributes: { type: number; value: Buffer }[] = [];
  let at = STUN_HEADER_BYTES;
  while (at < datagram.length) {
    if (at + 4 > datagram.length) throw bad('an attribute header is cut');
    const size = datagram.readUInt16BE(at + 2);
    const end = at + 4 + size;
    if (end > datagram.length) throw bad('an attribute runs past the message');
    attributes.push({ type: datagram.readUInt16BE(at), value: datagram.subarray(at + 4, end) });
    at = end + ((4 - (size % 4)) % 4); // values are padded to a multiple of 4 bytes
    if (at > datagram.length) throw bad('the last attribute is not padded');
  }
  return { type, transactionId: Buffer.from(datagram.subarray(8, 20)), attributes };
}

/** A STUN responder on one UDP socket, as {@link startStunResponder} returns it. */
export interface StunResponder {
  readonly port: number;
  /** Binding requests answered so far. */
  answered(): number;
  /** Datagrams refused so far, each with why. */
  dropped(): readonly string[];
  close(): Promise<void>;
}

/**
 * Answers every Binding request with the source address it came from, in XOR-MAPPED-ADDRESS:
 * what a public STUN server does. Anything else is dropped and counted, never answered (a
 * responder that answered junk could be aimed at a third party as a reflector).
 */
export async function startStunResponder(host: string, port = 0): Promise<StunResponder> {
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  let answered = 0;
  const dropped: string[] = [];
  socket.on('message', (datagram, from) => {
    try {
      const message = parseStunMessage(datagram);
      if (message.type !== STUN_BINDING_REQUEST) throw bad(`type 0x${message.type.toString(16)}`);
      const family = from.family === 'IPv6' ? 'IPv6' : 'IPv4';
      const reply = encodeBindingSuccess(message.transactionId, {
        family,
        address: from.address,
        port: from.port,
      });
      answered++;
      socket.send(reply, from.port, from.address);
    } catch (error) {
      if (dropped.length < 100) dropped.push((error as Error).message);
    }
  });
  socket.bind(port, host);
  await once(socket, 'listening');
  return {
    port: socket.address().port,
    answered: () => answered,
    dropped: () => dropped,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
