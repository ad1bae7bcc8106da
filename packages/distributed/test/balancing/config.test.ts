import { describe, expect, it } from 'vitest';
import {
  NGINX_POOL,
  type NginxConfigOptions,
  renderNginxConfig,
} from '../../src/balancing/index.ts';

const a = { host: '127.0.0.1', port: 4001 };
const b = { host: '127.0.0.1', port: 4002 };
const c = { host: '::1', port: 4003 };
const listen = { host: '127.0.0.1', port: 8080 };

const http = (extra: Partial<NonNullable<NginxConfigOptions['http']>> = {}): string =>
  renderNginxConfig({ prefix: '/tmp/lb', http: { listen, upstreams: [a, b, c], ...extra } });

/** The lines of `text`, trimmed, for exact matches. */
const lines = (text: string): string[] => text.split('\n').map((line) => line.trim());

describe('renderNginxConfig: the http balancer', () => {
  it('proxies WebSocket upgrades: HTTP/1.1, Upgrade, and Connection from a map', () => {
    const text = lines(http());
    expect(text).toContain('proxy_http_version 1.1;');
    expect(text).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(text).toContain('proxy_set_header Connection $socketlab_connection;');
    expect(text).toContain('map $http_upgrade $socketlab_connection {');
    expect(text).toContain("'' close;");
    expect(text).toContain('proxy_buffering off;');
  });

  it('leaves the upgrade headers out with websocket: false', () => {
    const text = http({ websocket: false });
    expect(text).not.toContain('Upgrade');
    expect(text).not.toContain('$socketlab_connection');
  });

  it('writes the timeouts in milliseconds, and marks an instance down after max_fails', () => {
    const text = lines(
      http({
        connectTimeoutMs: 250,
        readTimeoutMs: 45_000,
        sendTimeoutMs: 7_000,
        maxFails: 2,
        failTimeoutMs: 1_500,
      }),
    );
    expect(text).toContain('proxy_connect_timeout 250ms;');
    expect(text).toContain('proxy_read_timeout 45000ms;');
    expect(text).toContain('proxy_send_timeout 7000ms;');
    expect(text).toContain('server 127.0.0.1:4001 max_fails=2 fail_timeout=2s;');
    expect(text).toContain('server [::1]:4003 max_fails=2 fail_timeout=2s;');
  });

  it('none: one round-robin pool, no cookie, no hash', () => {
    const text = http({ stickiness: 'none' });
    expect(text).toContain(`proxy_pass http://${NGINX_POOL};`);
    expect(text).not.toContain('ip_hash');
    expect(text).not.toContain('Set-Cookie');
  });

  it('ip-hash: the pool hashes the client address', () => {
    const text = lines(http({ stickiness: 'ip-hash' }));
    expect(text).toContain('ip_hash;');
    expect(text).toContain(`proxy_pass http://${NGINX_POOL};`);
  });

  it('cookie: a group per instance with the others as backups, routed by the cookie', () => {
    const text = lines(http({ stickiness: 'cookie', cookieName: 'lb' }));
    // instance 1's own group: itself first, every other instance as a backup
    const start = text.indexOf(`upstream ${NGINX_POOL}_1 {`);
    expect(start).toBeGreaterThan(-1);
    expect(text.slice(start + 1, start + 5)).toEqual([
      'server 127.0.0.1:4002 max_fails=1 fail_timeout=10s;',
      'server 127.0.0.1:4001 backup;',
      'server [::1]:4003 backup;',
      '}',
    ]);
    expect(text).toContain('map $cookie_lb $socketlab_upstream {');
    expect(text).toContain(`default ${NGINX_POOL};`);
    expect(text).toContain(`2 ${NGINX_POOL}_2;`);
    expect(text).toContain('proxy_pass http://$socketlab_upstream;');
    expect(text).toContain('add_header Set-Cookie $socketlab_set_cookie;');
  });

  it('cookie: names the instance that answered last, matching its address exactly', () => {
    const text = lines(http());
    // dots escaped (127a0b0c1:4001 must not match), anchored at the end of $upstream_addr
    expect(text).toContain(
      '"~(^|, )127\\.0\\.0\\.1:4001$" "sl_node=0; Path=/; HttpOnly; SameSite=Lax";',
    );
    expect(text).toContain('"~(^|, )\\[::1\\]:4003$" "sl_node=2; Path=/; HttpOnly; SameSite=Lax";');
    const pattern = /"~\(\^\|, \)127\\\.0\\\.0\\\.1:4001\$"/;
    expect(http()).toMatch(pattern);
  });

  it('keeps every file in prefix and runs in the foreground', () => {
    const text = lines(http());
    expect(text).toContain('daemon off;');
    expect(text).toContain('pid "/tmp/lb/nginx.pid";');
    expect(text).toContain('error_log "/tmp/lb/error.log" notice;');
    expect(text).toContain('proxy_temp_path "/tmp/lb/temp/proxy";');
    expect(text).toContain('access_log off;');
  });
});

describe('renderNginxConfig: the stream balancer', () => {
  const stream = (balancing?: 'least-conn' | 'round-robin' | 'hash-remote-addr'): string[] =>
    lines(
      renderNginxConfig({
        prefix: '/tmp/lb',
        stream: { listen, upstreams: [a, b], ...(balancing ? { balancing } : {}) },
        streamModule: '/usr/lib/nginx/modules/ngx_stream_module.so',
      }),
    );

  it('balances by least connections by default, and loads the dynamic module', () => {
    const text = stream();
    expect(text[1]).toBe('load_module "/usr/lib/nginx/modules/ngx_stream_module.so";');
    expect(text).toContain('least_conn;');
    expect(text).toContain(`proxy_pass ${NGINX_POOL}_tcp;`);
    expect(text).toContain('proxy_timeout 600000ms;');
    expect(text).not.toContain('http {');
  });

  it('round robin has no method line; hash-remote-addr hashes consistently', () => {
    expect(stream('round-robin').some((line) => /least_conn|hash/.test(line))).toBe(false);
    expect(stream('hash-remote-addr')).toContain('hash $remote_addr consistent;');
  });
});

describe('renderNginxConfig: hostile or wrong options are refused before anything is written', () => {
  const refuses = (options: unknown, type: typeof TypeError | typeof RangeError, message: RegExp) =>
    expect(() => renderNginxConfig(options as NginxConfigOptions)).toThrow(
      expect.objectContaining({ constructor: type, message: expect.stringMatching(message) }),
    );

  it('an upstream host that is not an IP literal (no directive can be smuggled in)', () => {
    for (const host of [
      '127.0.0.1; include /etc/passwd',
      'localhost',
      'evil.example',
      '',
      '1.2.3',
    ]) {
      refuses(
        { prefix: '/tmp/lb', http: { listen, upstreams: [{ host, port: 1 }] } },
        TypeError,
        /upstreams\[0\]\.host must be an IPv4 or IPv6 literal/,
      );
    }
  });

  it('ports out of range, no upstreams, an upstream twice', () => {
    for (const port of [0, 65_536, 1.5, Number.NaN]) {
      refuses(
        { prefix: '/tmp/lb', http: { listen: { host: '127.0.0.1', port }, upstreams: [a] } },
        RangeError,
        /listen\.port/,
      );
    }
    refuses(
      { prefix: '/tmp/lb', http: { listen, upstreams: [] } },
      RangeError,
      /1 to 256 instances/,
    );
    refuses({ prefix: '/tmp/lb', http: { listen, upstreams: [a, { ...a }] } }, RangeError, /twice/);
  });

  it('a cookie name that is not a token', () => {
    for (const cookieName of ['a;b', 'a b', 'x'.repeat(65), '', 'é']) {
      refuses(
        { prefix: '/tmp/lb', http: { listen, upstreams: [a], cookieName } },
        TypeError,
        /cookieName/,
      );
    }
  });

  it('a prefix that is relative or cannot be quoted', () => {
    for (const prefix of ['tmp/lb', '/tmp/"lb', '/tmp/lb\n}', '/tmp/$lb', '/tmp\\lb']) {
      refuses(
        { prefix, http: { listen, upstreams: [a] } },
        TypeError,
        /prefix must be an absolute path/,
      );
    }
  });

  it('unknown modes, bad timeouts, neither balancer', () => {
    refuses(
      { prefix: '/tmp/lb', http: { listen, upstreams: [a], stickiness: 'sticky' } },
      TypeError,
      /stickiness/,
    );
    refuses(
      { prefix: '/tmp/lb', stream: { listen, upstreams: [a], balancing: 'random' } },
      TypeError,
      /balancing/,
    );
    refuses(
      { prefix: '/tmp/lb', http: { listen, upstreams: [a], readTimeoutMs: 0 } },
      RangeError,
      /readTimeoutMs/,
    );
    refuses(
      { prefix: '/tmp/lb', http: { listen, upstreams: [a], maxFails: -1 } },
      RangeError,
      /maxFails/,
    );
    refuses({ prefix: '/tmp/lb' }, TypeError, /needs http, stream or both/);
    refuses(
      { prefix: '/tmp/lb', http: { listen, upstreams: [a] }, user: 'root; daemon on' },
      TypeError,
      /user/,
    );
  });
});
