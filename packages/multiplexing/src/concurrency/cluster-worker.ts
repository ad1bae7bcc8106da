/**
 * The entry script of one `'cluster'` worker process, forked by the primary (see cluster.ts),
 * never imported; tsup builds it to `dist/concurrency/cluster-worker.js`. It serves with its own
 * event loop on the port the primary shares, and on the primary's close message closes
 * gracefully, disconnects and exits.
 */
import cluster from 'node:cluster';
import { CLUSTER_CLOSE_MESSAGE, CLUSTER_SETTINGS_ENV } from './cluster.ts';
import type { ConcurrencyServer, ResolvedConcurrencyOptions } from './options.ts';
import { serveInProcess } from './server.ts';

if (cluster.isPrimary) {
  throw new Error('cluster-worker is started by listenConcurrencyServer({ model: "cluster" })');
}
const settings = JSON.parse(
  process.env[CLUSTER_SETTINGS_ENV] ?? '{}',
) as ResolvedConcurrencyOptions;
// Listen for the close message before starting: a worker still starting when the primary
// closes (a replacement, say) must close as soon as it is up, not miss the message.
let closeAsked = false;
let server: ConcurrencyServer | undefined;
const closeAndLeave = (): void => {
  if (server === undefined) return;
  void server.close().finally(() => {
    // With the server closed and the IPC channel gone, nothing keeps the process alive.
    if (process.connected) process.disconnect();
  });
};
process.on('message', (message) => {
  if (message !== CLUSTER_CLOSE_MESSAGE || closeAsked) return;
  closeAsked = true;
  closeAndLeave();
});
server = await serveInProcess(settings);
if (closeAsked) closeAndLeave();
