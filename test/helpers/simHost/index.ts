export * from '../../../src/sandbox/simHost/index.ts';
export * from './expectations.ts';
