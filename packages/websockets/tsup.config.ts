import { libraryConfig } from '../../tsup.shared.ts';

// The library, plus the `socketlab-ws` command (src/cli.ts keeps its shebang line).
export default libraryConfig({ entry: ['src/index.ts', 'src/cli.ts'] });
