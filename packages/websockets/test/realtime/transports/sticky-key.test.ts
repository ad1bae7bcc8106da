import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STICKY_MAX_SID_LENGTH, stickyRouteKey } from '../../../src/realtime/index.ts';

describe('stickyRouteKey', () => {
  it.each([
    ['/socket.io/?EIO=4&transport=polling&sid=Ab3_x-9', undefined, 'Ab3_x-9'],
    ['/socket.io/?sid=Ab3&EIO=4#frag', undefined, 'Ab3'],
    ['/socket.io/?EIO=4&transport=polling', undefined, undefined],
    ['/socket.io/?EIO=4&transport=polling', 'io=FromCookie', 'FromCookie'],
    ['/socket.io/?EIO=4&transport=polling', 'a=1; io="Quoted"; b=2', 'Quoted'],
    ['/socket.io/?EIO=4&transport=polling&sid=FromUrl', 'io=FromCookie', 'FromUrl'],
    ['/socket.io/?sid=a&sid=b', undefined, undefined],
    ['/socket.io/?sid=', undefined, undefined],
    ['/socket.io/?sid=has%20space', undefined, undefined],
    ['/socket.io/?sid=../../etc', undefined, undefined],
    [`/socket.io/?sid=${'a'.repeat(STICKY_MAX_SID_LENGTH + 1)}`, undefined, undefined],
    [
      `/socket.io/?sid=${'a'.repeat(STICKY_MAX_SID_LENGTH)}`,
      undefined,
      'a'.repeat(STICKY_MAX_SID_LENGTH),
    ],
    [undefined, 'io=x; io=y', 'x'],
    [undefined, 'nope', undefined],
  ])('url %s, cookie %s → %s', (url, cookie, expected) => {
    expect(stickyRouteKey({ url, headers: { cookie } })).toBe(expected);
  });

  it('reads the cookie the server was told to set', () => {
    const request = { url: '/socket.io/?EIO=4', headers: { cookie: 'io=a; sticky=b' } };
    expect(stickyRouteKey(request, { cookieName: 'sticky' })).toBe('b');
    expect(() => stickyRouteKey(request, { cookieName: 'bad name' })).toThrow(TypeError);
  });

  it('never throws, and returns only a well-formed sid, for any url and cookie a client sends', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 300 })),
        fc.option(fc.string({ maxLength: 300 })),
        (url, cookie) => {
          const key = stickyRouteKey({
            url: url ?? undefined,
            headers: { cookie: cookie ?? undefined },
          });
          if (key !== undefined) expect(key).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
        },
      ),
    );
  });

  it('ignores a url or cookie header past 8 KiB', () => {
    const long = `/socket.io/?sid=abc&pad=${'x'.repeat(9000)}`;
    expect(stickyRouteKey({ url: long, headers: {} })).toBeUndefined();
    expect(
      stickyRouteKey({ url: '/', headers: { cookie: `io=abc; pad=${'x'.repeat(9000)}` } }),
    ).toBeUndefined();
    expect(stickyRouteKey(null as never)).toBeUndefined();
  });
});
