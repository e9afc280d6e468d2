import type { FakeState, Session } from './fakeState.ts';
import type { SendCommandFailureMode } from './types.ts';

/** What every SSM operation gets: the authenticated caller, the clock, and the fake's settings. */
export type SsmContext = {
  state: FakeState;
  session: Session;
  region: string;
  now: number;
  deliveryMs: number;
  defaultRunMs: number;
  timeScale: number;
  invocationVisibleAfterMs: number;
  takeSendCommandFailure: () => SendCommandFailureMode | undefined;
};

/** awsJson timestamps are epoch seconds. */
export const epochSeconds = (ms: number): number => ms / 1000;
