export { startFakeAws } from './startFakeAws.ts';
export { makeInstances } from './makeInstances.ts';
export type { MakeInstancesOptions } from './makeInstances.ts';
export { truncateOutput } from './truncateOutput.ts';
export type * from './types.ts';
