// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter
import type net from 'node:net';

/** Which part of the port space a port is in (RFC 6335 §6), or port 0, "kernel, choose". */
export type PortRange = 'ephemeral-request' | 'well-known' | 'registered' | 'dynamic';

/** What classifyPort says about a port. */
export interface PortInfo {
  port: number;
  range: PortRange;
  /** True when binding it needs privileges (1-1023). */
  privileged: boolean;
  /** The IANA service name, e.g. 'ssh', when the port is a known one. */
  service?: string;
}

/**
 * Classifies a port by range, privilege and well-known service.
 * @example classifyPort(22) // { port: 22, range: 'well-known', privileged: true, service: 'ssh' }
 */
export function classifyPort(port: number): PortInfo {
  // TODO: validate 0-65535 integers, pick the range, set privileged, look up the service name.
  throw new Error('not implemented yet: read exercises/03-ports/README.md');
}

/**
 * Starts a TCP server on `host`, port 0, and resolves with the port the kernel chose.
 * @example const { server, port } = await listenOnAnyPort('127.0.0.1');
 */
export async function listenOnAnyPort(host: string): Promise<{ server: net.Server; port: number }> {
  // TODO: net.createServer(), listen(0, host), wait for 'listening' (reject on 'error'), read address().
  throw new Error('not implemented yet: read exercises/03-ports/README.md');
}
