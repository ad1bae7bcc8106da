import { defineConfig } from 'tsup';

// The app's receiver, sender and command line, for `socketlab-ft`.
export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: false,
  noExternal: ['@socketlab/internal'],
  removeNodeProtocol: false,
});
