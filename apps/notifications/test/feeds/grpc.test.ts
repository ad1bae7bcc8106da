import { serveGrpcPriceFeed } from '@socketlab/distributed';
import { pollUntil } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PRICES, type PriceValue } from '../../src/contract.ts';
import { feedSubscriber, refusalOf, startTestApp } from '../helpers/app.ts';

/** Stage 5's gRPC price feed on 127.0.0.1 port 0, and the app reading it. */
async function startWithPrices() {
  const server = await serveGrpcPriceFeed({ symbols: ['ACME', 'INIT'] });
  onTestFinished(() => server.close());
  const app = await startTestApp({ grpc: { address: server.address, symbols: ['ACME', 'INIT'] } });
  return { server, app };
}

describe('the gRPC price feed on /prices', () => {
  it('pushes the latest price per symbol to a subscriber', async () => {
    const { server, app } = await startWithPrices();
    const { latest } = await feedSubscriber(app, PRICES);
    for (let i = 1; i <= 50; i++) server.publish(i % 2 ? 'ACME' : 'INIT', 100 + i);
    await pollUntil(
      () =>
        ((latest.get('ACME') as PriceValue | undefined)?.price === 149 &&
          (latest.get('INIT') as PriceValue | undefined)?.price === 150) ||
        undefined,
      'the last price of each symbol',
    );
    expect(app.prices?.error).toBeUndefined();
  });

  it('holds one price per symbol for a stalled subscriber', async () => {
    const { server, app } = await startWithPrices();
    const stalled = await feedSubscriber(app, PRICES, { stalled: true });
    // a live subscriber that acks: once it has the last prices, so has the stalled one's buffer
    const live = await feedSubscriber(app, PRICES, { user: 'bob' });
    for (let i = 1; i <= 300; i++) server.publish(i % 2 ? 'ACME' : 'INIT', i);
    await pollUntil(
      () =>
        ((live.latest.get('ACME') as PriceValue | undefined)?.price === 299 &&
          (live.latest.get('INIT') as PriceValue | undefined)?.price === 300) ||
        undefined,
      'the live subscriber to get the last prices',
    );
    const row = app.prices?.feed.connections().find((c) => c.id === stalled.socket.id);
    expect(row?.pendingKeys).toBeLessThanOrEqual(2);
    expect(row?.inFlight).toBe(true);
    expect(stalled.batches()).toBe(1);
  });

  it('refuses a subscriber without a valid token', async () => {
    const { app } = await startWithPrices();
    const error = await refusalOf(`${app.url}${PRICES.namespace}`, { token: 'forged' });
    expect(error.message).toMatch(/unauthorized/);
  });

  it('opens the stream again when the feed restarts, and subscribers get the new prices', async () => {
    const { server, app } = await startWithPrices();
    const { latest } = await feedSubscriber(app, PRICES);
    server.publish('ACME', 1);
    await pollUntil(
      () => (latest.get('ACME') as PriceValue | undefined)?.price === 1 || undefined,
      'the first price',
    );
    await server.close();
    await pollUntil(() => app.prices?.connected === false || undefined, 'the stream to end');
    // the same address again, as a restarted feed would have
    const port = Number(server.address.slice(server.address.lastIndexOf(':') + 1));
    const again = await serveGrpcPriceFeed({ symbols: ['ACME', 'INIT'], port });
    onTestFinished(() => again.close());
    await pollUntil(
      () => (app.prices?.connected && (app.prices?.reconnects ?? 0) >= 1) || undefined,
      'the app to open the stream again',
      { ms: 15_000 },
    );
    expect((latest.get('ACME') as PriceValue | undefined)?.price, 'the last price stays').toBe(1);
    // a subscribe races the publish on the new server: publish until the price comes through
    await pollUntil(
      () => {
        again.publish('ACME', 2);
        return (latest.get('ACME') as PriceValue | undefined)?.price === 2 || undefined;
      },
      'a price from the restarted feed',
      { intervalMs: 50 },
    );
  });
});
