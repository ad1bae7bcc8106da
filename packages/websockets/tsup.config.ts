import { libraryConfig } from '../../tsup.shared.ts';

// The library, its `./realtime` subpath (Socket.IO and the patterns on top, so the RFC 6455 entry
// never loads socket.io), plus the `socketlab-ws` command (src/cli.ts keeps its shebang line).
export default libraryConfig({
  entry: { index: 'src/index.ts', 'realtime/index': 'src/realtime/index.ts', cli: 'src/cli.ts' },
});
