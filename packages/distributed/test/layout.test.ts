import { checkSourceLayout } from '@socketlab/testkit';
import { expect, it } from 'vitest';

it('src/ areas import one another only through index.ts, and no import cycle exists', () => {
  expect(checkSourceLayout(new URL('../src/', import.meta.url)).map((p) => p.message)).toEqual([]);
});
