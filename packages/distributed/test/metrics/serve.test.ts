import { withTimeout } from '@socketlab/testkit';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createSocketMetrics, serveMetrics } from '../../src/metrics/index.ts';
import { parsePrometheusText } from './helpers.ts';

async function endpoint(registry: Registry, path?: string) {
  const served = await serveMetrics(registry, path === undefined ? {} : { path });
  onTestFinished(() => served.close());
  return served;
}

const request = (url: string, init?: RequestInit) =>
  withTimeout(fetch(url, init), `${init?.method ?? 'GET'} ${url}`);

describe('serveMetrics', () => {
  it('serves the registry on 127.0.0.1, port 0, at /metrics in the Prometheus text format', async () => {
    const { registry } = createSocketMetrics({ instance: 'i-1' });
    const served = await endpoint(registry);
    expect(served.address.address).toBe('127.0.0.1');
    expect(served.address.port).toBeGreaterThan(0);
    expect(served.url).toBe(`http://127.0.0.1:${served.address.port}/metrics`);
    const res = await request(`${served.url}?name[]=x`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('# TYPE socketlab_connections gauge');
    expect(text).toContain('# HELP socketlab_ack_duration_seconds ');
    expect(parsePrometheusText(text).every((s) => Number.isFinite(s.value))).toBe(true);
  });

  it('answers HEAD without a body, another method with 405, another path with 404', async () => {
    const served = await endpoint(new Registry(), '/internal/metrics');
    const head = await request(served.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await request(served.url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    for (const path of ['/metrics', '/', '/internal/metrics/', '/internal/metricsx']) {
      const res = await request(`http://127.0.0.1:${served.address.port}${path}`);
      expect([path, res.status]).toEqual([path, 404]);
      await res.body?.cancel();
    }
  });

  it('answers 500 with the reason when collecting fails, and keeps serving', async () => {
    const registry = new Registry();
    let fail = true;
    new Gauge({
      name: 'flaky',
      help: 'a gauge whose collection throws once',
      registers: [registry],
      collect() {
        if (fail) {
          fail = false;
          throw new Error('the database is down');
        }
        this.set(1);
      },
    });
    const served = await endpoint(registry);
    const failed = await request(served.url);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('collecting metrics failed: the database is down\n');
    const ok = await request(served.url);
    expect(parsePrometheusText(await ok.text())).toEqual([{ name: 'flaky', labels: {}, value: 1 }]);
  });

  it('closes once however often close() is called, and refuses a path without "/"', async () => {
    const served = await serveMetrics(new Registry());
    await Promise.all([served.close(), served.close()]);
    await expect(fetch(served.url)).rejects.toThrow();
    await expect(serveMetrics(new Registry(), { path: 'metrics' })).rejects.toThrow(TypeError);
  });
});
