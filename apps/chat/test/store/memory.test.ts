import { createMemoryHistory, createMemoryPresence } from '../../src/store/memory.ts';
import { describeStoreConformance } from './conformance.ts';

// One process: stores opened in one namespace are one store, so the suite's cross-instance
// tests (shared: false) do not apply.
describeStoreConformance('memory', {
  shared: false,
  namespace() {
    return async ({ maxRooms, maxMessagesPerRoom }) => ({
      stores: {
        history: createMemoryHistory({
          ...(maxRooms === undefined ? {} : { maxRooms }),
          ...(maxMessagesPerRoom === undefined ? {} : { maxMessagesPerRoom }),
        }),
        presence: createMemoryPresence(),
      },
    });
  },
});
