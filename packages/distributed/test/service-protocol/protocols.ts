/** The protocols the service-protocol tests share: the same service in version 1 and in versions 1–2. */
import {
  defineServiceProtocol,
  type ServiceVersionMessages,
} from '../../src/service-protocol/index.ts';

export const V1_MESSAGES = {
  getUser: { id: 1, fields: { userId: 'u32' } },
  user: { id: 2, fields: { userId: 'u32', name: { type: 'string', maxBytes: 32 } } },
  userSeen: { id: 3, fields: { userId: 'u32' } },
} as const satisfies ServiceVersionMessages;

/** Version 2 appends `email` to `user` and `at` to `userSeen`, each with a default. */
export const V2_MESSAGES = {
  getUser: { id: 1, fields: { userId: 'u32' } },
  user: {
    id: 2,
    fields: {
      userId: 'u32',
      name: { type: 'string', maxBytes: 32 },
      email: { type: 'string', maxBytes: 64 },
    },
    defaults: { email: '' },
  },
  userSeen: { id: 3, fields: { userId: 'u32', at: 'u32' }, defaults: { at: 0 } },
} as const satisfies ServiceVersionMessages;

/** A side that speaks version 1 only (an old deployment). */
export const ONLY_V1 = defineServiceProtocol({ versions: { 1: V1_MESSAGES } });
/** A side that speaks versions 1 and 2 (the new deployment). */
export const V1_AND_V2 = defineServiceProtocol({ versions: { 1: V1_MESSAGES, 2: V2_MESSAGES } });
/** A side that speaks version 2 only (version 1 retired). */
export const ONLY_V2 = defineServiceProtocol({ versions: { 2: V2_MESSAGES } });
