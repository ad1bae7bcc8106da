/**
 * Stage 1 benchmarks: the library against the obvious alternative, in the same run.
 *   pnpm bench               full run (a few seconds per row)
 *   BENCH_QUICK=1 pnpm bench  a short run that only proves every benchmark still works (CI runs this)
 *   pnpm bench echo          one group alone: addresses, echo or socket-table
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import {
  type BenchCase,
  type BenchGroups,
  type BenchRow,
  compare,
  runBenchGroups,
} from '@socketlab/testkit';
import {
  connectEchoClient,
  createEchoServer,
  isIPv4,
  isIPv6,
  type LifecycleEvent,
  parseAddress,
  parseEndpoint,
  readSocketTable,
} from '../src/index.ts';

const run = promisify(execFile);

const ADDRESSES = [
  '127.0.0.1',
  '10.20.30.40',
  '255.255.255.255',
  '::1',
  '2001:db8::8a2e:370:7334',
  'fe80::1%eth0',
  '::ffff:192.0.2.1',
  'not an address',
  '1.2.3.256',
  '2001:db8:::1',
];

let sink = 0;

async function addressRows(): Promise<BenchRow[]> {
  const validate = await compare(
    'address-validate',
    'addresses/s',
    {
      name: 'socketlab isIPv4/isIPv6',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          const text = ADDRESSES[i % ADDRESSES.length] ?? '';
          if (isIPv4(text) || isIPv6(text)) sink++;
        }
      },
    },
    {
      name: 'node:net isIP',
      run: (n) => {
        for (let i = 0; i < n; i++)
          if (net.isIP(ADDRESSES[i % ADDRESSES.length] ?? '') !== 0) sink++;
      },
    },
  );
  const endpoints = ['127.0.0.1:80', '[::1]:8080', 'example.com:443', '[2001:db8::1]:22'];
  const endpoint = await compare(
    'endpoint-parse',
    'endpoints/s',
    {
      name: 'socketlab parseEndpoint',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          const ep = parseEndpoint(endpoints[i % endpoints.length] ?? '');
          if (ep.kind !== 'unix') sink += ep.port;
        }
      },
    },
    {
      name: 'WHATWG URL',
      run: (n) => {
        for (let i = 0; i < n; i++)
          sink += Number(new URL(`tcp://${endpoints[i % endpoints.length]}`).port);
      },
    },
  );
  const parse = await compare(
    'address-parse-to-bytes',
    'addresses/s',
    {
      name: 'socketlab parseAddress',
      run: (n) => {
        for (let i = 0; i < n; i++) sink += parseAddress(ADDRESSES[i % 7] ?? '').bytes.length;
      },
    },
    {
      name: 'net.SocketAddress',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          const text = (ADDRESSES[i % 7] ?? '').split('%')[0] ?? '';
          sink += new net.SocketAddress({
            address: text,
            family: text.includes(':') ? 'ipv6' : 'ipv4',
          }).port;
        }
      },
    },
  );
  return [validate, endpoint, parse];
}

async function socketTableRow(): Promise<BenchRow | undefined> {
  if (process.platform !== 'linux') return undefined;
  return compare(
    'socket-table-read',
    'tables/s',
    {
      name: 'readSocketTable',
      run: async (n) => {
        for (let i = 0; i < n; i++) sink += (await readSocketTable()).length;
      },
    },
    {
      name: 'ss -tuna (spawned)',
      run: async (n) => {
        for (let i = 0; i < n; i++) sink += (await run('ss', ['-tunaH'])).stdout.length;
      },
    },
    { batch: 5, maxBatches: 400 },
  );
}

/** A 16-byte line (15 characters and its `\n`), each way, one at a time. */
const ECHO_LINE = '0123456789abcde';

/**
 * The echo round trip three ways, in the same run: a bare `node:net` pipe echo (the baseline),
 * the lifecycle pair with nobody watching (no event is built), and the same pair with a recorder
 * on both ends (every step becomes a typed event, kept until the end of its batch).
 */
async function echoRows(): Promise<BenchRow[]> {
  const quiet = createEchoServer({ host: '127.0.0.1', port: 0 });
  const quietClient = await connectEchoClient('127.0.0.1', (await quiet.listen()).port);

  let recorded: LifecycleEvent[] = [];
  const record = (event: LifecycleEvent): void => {
    recorded.push(event);
  };
  const watched = createEchoServer({ host: '127.0.0.1', port: 0 });
  watched.on('lifecycle', record);
  const watchedClient = await connectEchoClient('127.0.0.1', (await watched.listen()).port, {
    onEvent: record,
  });

  const plain = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const plainPort = (plain.address() as net.AddressInfo).port;
  const raw = net.connect(plainPort, '127.0.0.1');
  await new Promise((resolve) => raw.once('connect', resolve));
  raw.setNoDelay(true);
  const rawEcho = (line: string): Promise<void> =>
    new Promise((resolve) => {
      let got = '';
      const onData = (chunk: Buffer): void => {
        got += chunk.toString();
        if (got.endsWith('\n')) {
          raw.off('data', onData);
          resolve();
        }
      };
      raw.on('data', onData);
      raw.write(`${line}\n`);
    });

  const bare: BenchCase = {
    name: 'node:net pipe echo',
    run: async (n) => {
      for (let i = 0; i < n; i++) await rawEcho(ECHO_LINE);
    },
  };
  const options = { batch: 100, maxBatches: 10_000 };
  try {
    const unwatched = await compare(
      'echo-round-trip-16B',
      'round trips/s',
      {
        name: 'socketlab EchoServer + EchoClient, no listener',
        run: async (n) => {
          for (let i = 0; i < n; i++) await quietClient.echo(ECHO_LINE);
        },
      },
      bare,
      options,
    );
    const recorder = await compare(
      'echo-round-trip-16B-recorded',
      'round trips/s',
      {
        name: 'socketlab EchoServer + EchoClient, a recorder on both ends',
        run: async (n) => {
          recorded = [];
          for (let i = 0; i < n; i++) await watchedClient.echo(ECHO_LINE);
          sink += recorded.length;
        },
      },
      bare,
      options,
    );
    return [unwatched, recorder];
  } finally {
    raw.destroy();
    quietClient.destroy();
    watchedClient.destroy();
    await Promise.all([quiet.close(), watched.close()]);
    await new Promise<void>((resolve) => plain.close(() => resolve()));
  }
}

/** The groups of rows; `pnpm bench echo` (or `addresses`, `socket-table`) runs one alone. */
const GROUPS: BenchGroups = {
  addresses: addressRows,
  echo: echoRows,
  'socket-table': async () => {
    const row = await socketTableRow();
    return row ? [row] : [];
  },
};
await runBenchGroups(GROUPS);
if (sink === -1) console.log('unreachable');
