import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { failOnUncaught, trapUncaughtErrors } from '../src/uncaught.ts';

describe('trapUncaughtErrors', () => {
  it("catches an 'error' event nobody listens for, and gives the runner its handlers back", async () => {
    const before = process.listeners('uncaughtException');
    const trap = trapUncaughtErrors();
    try {
      const emitter = new EventEmitter();
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          setImmediate(resolve);
          emitter.emit(
            'error',
            Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
          );
        }),
      );
      expect(trap.errors.map((e) => e.message)).toEqual(['read ECONNRESET']);
    } finally {
      trap.restore();
      trap.restore();
    }
    expect(process.listeners('uncaughtException')).toEqual(before);
  });
});

describe('failOnUncaught', () => {
  it('leaves a test that threw nothing alone', () => {
    failOnUncaught('never shown');
    expect(process.listeners('uncaughtException')).toHaveLength(1);
  });
});
