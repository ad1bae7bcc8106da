import { describePublicApi } from '@socketlab/testkit';

describePublicApi(new URL('..', import.meta.url));
