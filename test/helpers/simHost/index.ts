export * from './profiles.ts';
export * from './simHost.ts';
export * from './expectations.ts';
