import { readFileSync } from 'node:fs';
import { HTTP_ERRORS } from '@socketlab/distributed';
import { describe, expect, it } from 'vitest';
import { NOTIFY_EVENTS, PRICES, TELEMETRY } from '../src/contract.ts';
import { OPENAPI_DOCUMENT } from '../src/server/openapi.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('the README’s contract tables', () => {
  it('list every Socket.IO event of the contract', () => {
    const table = readme.slice(
      readme.indexOf('## Socket.IO events'),
      readme.indexOf('## Delivery'),
    );
    for (const event of Object.values(NOTIFY_EVENTS)) expect(table).toContain(`\`${event}\``);
  });

  it('list every REST path the OpenAPI document has', () => {
    const table = readme.slice(readme.indexOf('## REST'), readme.indexOf('### Errors'));
    for (const path of Object.keys(OPENAPI_DOCUMENT.paths)) {
      expect(table, path).toMatch(new RegExp(`\`(GET|POST) ${path.replace('.', '\\.')}[\`?\\[]`));
    }
  });

  it('name every refusal code the app can answer with', () => {
    const errors = readme.slice(
      readme.indexOf('### Errors'),
      readme.indexOf('## Socket.IO events'),
    );
    for (const code of Object.keys(HTTP_ERRORS).filter((c) => c !== 'FORBIDDEN')) {
      expect(errors, code).toContain(`\`${code}\``);
    }
  });

  it('describe the feed namespaces', () => {
    for (const feed of [TELEMETRY, PRICES]) expect(readme).toContain(`\`${feed.namespace}\``);
  });
});
