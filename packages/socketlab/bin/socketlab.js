#!/usr/bin/env node
// The socketlab command runs from its TypeScript sources (this package is a tool of the
// repository, never built): tsx compiles them on the fly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
