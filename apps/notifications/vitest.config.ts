import { stageConfig } from '../../vitest.shared.ts';

export default stageConfig();
