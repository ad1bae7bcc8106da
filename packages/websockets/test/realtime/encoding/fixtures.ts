/** Events the encoding tests share: a chat message, a game snapshot with deltas, a small ack. */
import { createSchemaCodec, listOf } from '../../../src/realtime/index.ts';

export const EVENTS = {
  chat: {
    id: 1,
    fields: {
      room: { type: 'string', maxBytes: 64 },
      from: { type: 'string', maxBytes: 32 },
      text: { type: 'string', maxBytes: 2000 },
      sentAt: 'f64',
    },
  },
  snapshot: {
    id: 2,
    version: 3,
    fields: {
      tick: 'u32',
      moved: listOf({ id: 'u16', x: 'f32', y: 'f32', hp: 'u8', flags: 'u8' }, { maxItems: 256 }),
      left: listOf({ id: 'u16' }, { maxItems: 256 }),
    },
  },
  upload: {
    id: 3,
    fields: { name: { type: 'string', maxBytes: 100 }, data: { type: 'bytes', maxBytes: 4096 } },
  },
  ack: { id: 4, fields: { seq: 'u32', ok: 'bool' } },
} as const;

export const schemaCodec = (): ReturnType<typeof createSchemaCodec<typeof EVENTS>> =>
  createSchemaCodec(EVENTS);

export const CHAT = {
  room: 'lobby',
  from: 'ada',
  text: 'hello, world — ünïcode too',
  sentAt: 1_764_800_000_123,
};

export function snapshot(count: number): {
  tick: number;
  moved: { id: number; x: number; y: number; hp: number; flags: number }[];
  left: { id: number }[];
} {
  return {
    tick: 4242,
    moved: Array.from({ length: count }, (_, i) => ({
      id: i,
      x: Math.fround(i * 1.5),
      y: Math.fround(-i / 4),
      hp: 100 - i,
      flags: i % 4,
    })),
    left: [{ id: 900 }, { id: 901 }],
  };
}
