import { fromHex, thrownBy, toHex } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { DistributedError } from '../../src/errors.ts';
import { defineServiceProtocol } from '../../src/service-protocol/index.ts';
import { ONLY_V1, ONLY_V2, V1_AND_V2, V1_MESSAGES, V2_MESSAGES } from './protocols.ts';

/** Golden bodies: message id u16, version u8, then the fields (stage 4's schema codec). */
const BODIES = {
  v1User: '0002 01 00000007 0003 616461',
  v2User: '0002 02 00000007 0003 616461 000f 61646140 6578616d 706c652e 6f7267',
} as const;

function payloadErrorOf(work: () => unknown): DistributedError {
  const error = thrownBy(work, 'the call');
  expect(error).toBeInstanceOf(DistributedError);
  expect(error.code).toBe('DISTRIBUTED_ERR_PAYLOAD');
  return error as DistributedError;
}

describe('defineServiceProtocol: bodies', () => {
  it('writes the version 1 body byte for byte', () => {
    const body = V1_AND_V2.encodeBody(1, {
      name: 'user',
      value: { userId: 7, name: 'ada', email: 'ada@example.org' },
    });
    expect(toHex(body)).toBe(toHex(fromHex(BODIES.v1User)));
  });

  it('writes the version 2 body byte for byte', () => {
    const body = V1_AND_V2.encodeBody(2, {
      name: 'user',
      value: { userId: 7, name: 'ada', email: 'ada@example.org' },
    });
    expect(toHex(body)).toBe(toHex(fromHex(BODIES.v2User)));
  });

  it('reads a version 1 body as version 2, with the default for the field added since', () => {
    expect(V1_AND_V2.decodeBody(fromHex(BODIES.v1User), 2)).toEqual({
      name: 'user',
      value: { userId: 7, name: 'ada', email: '' },
      writtenIn: 1,
    });
  });

  it('reads a version 2 body as written', () => {
    expect(V1_AND_V2.decodeBody(fromHex(BODIES.v2User), 2).value).toEqual({
      userId: 7,
      name: 'ada',
      email: 'ada@example.org',
    });
  });

  it('refuses a version 2 body on a version 1 reader, naming both versions', () => {
    const error = payloadErrorOf(() => ONLY_V1.decodeBody(fromHex(BODIES.v2User), 1));
    expect(error.message).toContain('written in version 2');
    expect(error.message).toContain('reads version 1');
  });

  it('refuses a body above the negotiated version even when this side knows it', () => {
    payloadErrorOf(() => V1_AND_V2.decodeBody(fromHex(BODIES.v2User), 1));
  });

  it('refuses a version 1 body with trailing bytes instead of skipping them', () => {
    const error = payloadErrorOf(() => ONLY_V1.decodeBody(fromHex(`${BODIES.v1User} 0000`), 1));
    expect(error.message).toContain('trailing');
  });

  it('refuses a body of a retired version on a reader that no longer speaks it', () => {
    payloadErrorOf(() => ONLY_V2.decodeBody(fromHex(BODIES.v1User), 2));
  });

  it.each([
    ['shorter than its header', '0002'],
    ['an unknown message id', '0063 01 00000007'],
    ['a truncated string', '0002 01 00000007 0009 6164'],
    ['invalid UTF-8', '0002 01 00000007 0001 ff'],
  ])('refuses a body with %s', (_what, hex) => {
    payloadErrorOf(() => V1_AND_V2.decodeBody(fromHex(hex), 2));
  });

  it('refuses to encode a message the version does not have', () => {
    payloadErrorOf(() => ONLY_V1.encodeBody(1, { name: 'nope', value: {} }));
  });

  it('refuses to encode a value that does not fit, keeping the cause', () => {
    const error = payloadErrorOf(() =>
      ONLY_V1.encodeBody(1, { name: 'user', value: { userId: -1, name: 'ada' } }),
    );
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('defineServiceProtocol: compatibility rules', () => {
  const user = V1_MESSAGES.user;
  it.each([
    [
      'a field appended with no default',
      { user: { id: 2, fields: { ...user.fields, email: 'u8' } } },
      'no default',
    ],
    [
      'a field retyped',
      { user: { id: 2, fields: { userId: 'u16', name: user.fields.name } } },
      'same type',
    ],
    ['a field removed', { user: { id: 2, fields: { userId: 'u32' } } }, 'field "name"'],
    [
      'fields reordered',
      { user: { id: 2, fields: { name: user.fields.name, userId: 'u32' } } },
      'position 0',
    ],
    ['an id changed', { user: { id: 9, fields: user.fields } }, 'changed its id'],
  ])('refuses %s', (_what, next, message) => {
    expect(() => defineServiceProtocol({ versions: { 1: V1_MESSAGES, 2: next as never } })).toThrow(
      message,
    );
  });

  it('accepts a message added in a later version and versions that skip numbers', () => {
    const protocol = defineServiceProtocol({
      versions: { 1: V1_MESSAGES, 3: { ...V2_MESSAGES, ping: { id: 4, fields: { n: 'u8' } } } },
    });
    expect([protocol.minVersion, protocol.maxVersion]).toEqual([1, 3]);
    expect(protocol.supports(2)).toBe(false);
  });

  it.each([[0], [256]])('refuses version %i', (version) => {
    expect(() => defineServiceProtocol({ versions: { [version]: V1_MESSAGES } })).toThrow(
      RangeError,
    );
  });

  it('refuses a protocol with no versions', () => {
    expect(() => defineServiceProtocol({ versions: {} })).toThrow(RangeError);
  });
});
