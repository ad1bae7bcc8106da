import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The kernel's keepalive defaults (Linux `net.ipv4.tcp_keepalive_*`), used where a socket sets none. */
export interface KernelKeepalive {
  /** `tcp_keepalive_time`: idle time before the first probe (7,200,000 ms = 2 h by default). */
  readonly delayMs: number;
  /** `tcp_keepalive_intvl`: time between unanswered probes (75,000 ms by default). */
  readonly intervalMs: number;
  /** `tcp_keepalive_probes`: unanswered probes before the connection is dropped (9 by default). */
  readonly probes: number;
}

/**
 * Reads the kernel's keepalive defaults from `/proc/sys/net/ipv4/tcp_keepalive_{time,intvl,probes}`
 * (Linux). On Node 20 they decide the interval and probe count of every socket, since Node sets
 * only the initial delay. With them a dead peer is found after `delayMs + probes × intervalMs`.
 * @param procRoot - where `/proc` is (tests point it at a fixture) @default '/proc'
 * @throws rejects with Node's `ENOENT` error where there is no such file (not Linux)
 * @example const { probes } = await readKernelKeepalive(); // 9
 */
export async function readKernelKeepalive(procRoot = '/proc'): Promise<KernelKeepalive> {
  const read = async (name: string): Promise<number> => {
    const text = await readFile(path.join(procRoot, 'sys/net/ipv4', name), 'utf8');
    const value = Number(text.trim());
    if (!Number.isInteger(value) || value < 0) {
      throw new TypeError(`${name} holds ${JSON.stringify(text.trim().slice(0, 40))}, not a count`);
    }
    return value;
  };
  const [time, intvl, probes] = await Promise.all([
    read('tcp_keepalive_time'),
    read('tcp_keepalive_intvl'),
    read('tcp_keepalive_probes'),
  ]);
  return { delayMs: time * 1_000, intervalMs: intvl * 1_000, probes };
}
