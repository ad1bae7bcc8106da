import { defineConfig } from 'tsup';

// The app's server and command line, for `socketlab-notify` (the page is bundled by scripts/build-web.ts).
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
