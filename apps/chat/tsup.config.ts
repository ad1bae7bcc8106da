import { appConfig } from '../../tsup.shared.ts';

// The app's server and command line (the page is bundled by scripts/build-web.ts).
export default appConfig();
