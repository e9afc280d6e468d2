export * from './profiles.ts';
export * from './simTypes.ts';
export * from './simPaths.ts';
export * from './compareVersions.ts';
export * from './simHost.ts';
