import { libraryConfig } from '../../tsup.shared.ts';

// The library, plus the `socketlab-mux` command (src/cli.ts keeps its shebang line).
// The concurrency area's worker-thread and cluster-worker scripts are entries of their own
// (dist/concurrency/*.js): they are started by path, never imported.
export default libraryConfig({
  entry: [
    'src/index.ts',
    'src/cli.ts',
    'src/concurrency/pool-worker.ts',
    'src/concurrency/cluster-worker.ts',
  ],
});
