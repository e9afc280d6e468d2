export * from './profiles.ts';
export * from './simHost.ts';
