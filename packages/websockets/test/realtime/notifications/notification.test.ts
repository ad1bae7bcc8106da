import { describe, expect, it } from 'vitest';
import { createNotification, readNotification } from '../../../src/realtime/notifications/index.ts';

const deep = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { v: value };
  return value;
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('createNotification', () => {
  it('makes a new object with the server’s id and time, and a JSON copy of data', () => {
    const data = { invoice: 42, lines: [1, 2] };
    const n = createNotification(
      { type: 'invoice.paid', title: 'Paid', data, extra: 'x' },
      'n1',
      5,
    );
    expect(n).toEqual({ id: 'n1', type: 'invoice.paid', title: 'Paid', at: 5, data });
    expect(n.data).not.toBe(data);
    expect(Object.keys(n)).not.toContain('extra');
  });

  it('keeps body when given', () => {
    expect(createNotification({ type: 't', title: 'T', body: 'b' }, 'n1', 0).body).toBe('b');
  });

  it.each([
    ['not an object', 'hello'],
    ['no type', { title: 'T' }],
    ['an empty title', { type: 't', title: '' }],
    ['a title too long', { type: 't', title: 'x'.repeat(201) }],
    ['a body that is a number', { type: 't', title: 'T', body: 1 }],
    ['data nested 100,000 deep', { type: 't', title: 'T', data: deep(100_000) }],
    ['data nested 9 deep', { type: 't', title: 'T', data: deep(9) }],
    ['data too big', { type: 't', title: 'T', data: 'x'.repeat(9000) }],
    ['data with a BigInt', { type: 't', title: 'T', data: { n: 1n } }],
    ['data that is a function', { type: 't', title: 'T', data: () => 1 }],
  ])('refuses %s with REALTIME_ERR_PAYLOAD', (_, input) => {
    expect(codeOf(() => createNotification(input, 'n1', 0))).toBe('REALTIME_ERR_PAYLOAD');
  });
});

describe('readNotification', () => {
  const good = { id: 'n1', type: 't', title: 'T', at: 1 };
  it('accepts a notification', () => {
    expect(readNotification(good)).toBe(good);
    expect(readNotification({ ...good, body: 'b', data: [1] })).toBeDefined();
  });

  it.each([
    ['null', null],
    ['no id', { ...good, id: undefined }],
    ['an id too long', { ...good, id: 'x'.repeat(129) }],
    ['no time', { ...good, at: 'now' }],
    ['a body that is not a string', { ...good, body: {} }],
    ['deep data', { ...good, data: deep(50) }],
  ])('refuses %s', (_, value) => {
    expect(readNotification(value)).toBeUndefined();
  });
});
