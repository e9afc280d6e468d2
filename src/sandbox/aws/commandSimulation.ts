// Simulated Run Command lifecycle. Everything about an invocation is decided when the command is sent
// (behaviours are deterministic), so the state at any instant is computed from timestamps on read:
// no timers, O(1) per invocation, and thousands of in-flight invocations cost nothing.
//
// Status / StatusDetails follow the SSM API reference ("Understanding command statuses"):
//   Pending/Pending → InProgress/"In Progress" → Success/Success | Failed/Failed | TimedOut/"Execution Timed Out"
//   never delivered: Pending, then Delayed/Delayed while the service retries → TimedOut/"Delivery Timed Out"
//   Failed/Undeliverable and Failed/Terminated (the enum has no value of their own; StatusDetails says which)
//   CancelCommand: Cancelling/Cancelling → Cancelled/Cancelled.
import type { FakeBehavior } from './types.ts';

export type InvocationStatus = 'Pending' | 'InProgress' | 'Delayed' | 'Success' | 'Cancelled' | 'TimedOut' | 'Failed' | 'Cancelling';

export type Outcome = { status: InvocationStatus; statusDetails: string; responseCode: number; stdout: string; stderr: string };

export type InvocationEntry = {
  readonly commandId: string;
  readonly instanceId: string;
  readonly instanceName: string;
  readonly requestedAt: number;
  /** When the agent started the plugin (InProgress); undefined if it never did. */
  readonly startAt: number | undefined;
  /** Both change once when a runner (FakeRunner) settles the invocation. */
  endAt: number;
  outcome: Outcome;
  /** The agent cannot be reached: the service keeps retrying delivery (status Delayed). */
  readonly unreachable: boolean;
  cancelledAt: number | undefined;
};

export type InvocationView = {
  status: InvocationStatus;
  statusDetails: string;
  responseCode: number;
  terminal: boolean;
  startedAt: number | undefined;
  endedAt: number | undefined;
  stdout: string;
  stderr: string;
};

export type Timing = {
  requestedAt: number;
  deliveryMs: number;
  defaultRunMs: number;
  deliveryTimeoutMs: number;
  executionTimeoutMs: number;
  maxConcurrency: number;
  maxErrors: number;
  /** Exit code the agent reports when it kills a script (137 on Linux, -1 on Windows). */
  killedExitCode: number;
};

export type PlannedInvocation = { instanceId: string; instanceName: string; behavior: FakeBehavior; reachable: boolean };

/**
 * What a runner's invocation looks like until it reports: still running until executionTimeout,
 * then killed (TimedOut) — exactly what the agent does with a script that never finishes.
 */
export const RUNNER_PLACEHOLDER: FakeBehavior = { status: 'Success', runMs: Number.MAX_SAFE_INTEGER };

/** A runner reported: the invocation ends now with that outcome (unless it already ended, e.g. killed at executionTimeout). */
export const settleInvocation = (inv: InvocationEntry, behavior: FakeBehavior, now: number, killedExitCode: number): void => {
  if (inv.startAt === undefined || now >= inv.endAt) return;
  inv.endAt = Math.max(now, inv.startAt);
  inv.outcome = outcomeOf(behavior, killedExitCode);
};

const outcomeOf = (b: FakeBehavior, killedExitCode: number): Outcome => {
  const out = { stdout: b.stdout ?? '', stderr: b.stderr ?? '' };
  switch (b.status) {
    case 'Success':
      return { status: 'Success', statusDetails: 'Success', responseCode: 0, ...out };
    case 'Failed':
      return { status: 'Failed', statusDetails: 'Failed', responseCode: b.responseCode ?? 1, ...out };
    case 'TimedOut':
      return { status: 'TimedOut', statusDetails: 'Execution Timed Out', responseCode: killedExitCode, ...out };
    case 'Cancelled':
      return { status: 'Cancelled', statusDetails: 'Cancelled', responseCode: -1, ...out };
    case 'DeliveryTimedOut':
      return deliveryTimedOut;
    case 'Undeliverable':
      return { status: 'Failed', statusDetails: 'Undeliverable', responseCode: -1, stdout: '', stderr: '' };
    case 'Terminated':
      return terminated;
  }
};

const deliveryTimedOut: Outcome = { status: 'TimedOut', statusDetails: 'Delivery Timed Out', responseCode: -1, stdout: '', stderr: '' };
const terminated: Outcome = { status: 'Failed', statusDetails: 'Terminated', responseCode: -1, stdout: '', stderr: '' };

const countsAgainstMaxErrors = (o: Outcome): boolean => o.statusDetails === 'Failed' || o.statusDetails === 'Execution Timed Out';

/**
 * Lays out when each invocation is dispatched (at most maxConcurrency at a time, in request order),
 * starts and ends; once more than maxErrors invocations have failed, undispatched ones are Terminated.
 */
export const scheduleInvocations = (commandId: string, plan: PlannedInvocation[], t: Timing): InvocationEntry[] => {
  const busyUntil: number[] = [];
  const errorEnds: number[] = [];
  const deliveryDeadline = t.requestedAt + t.deliveryTimeoutMs;
  return plan.map((p) => {
    let dispatchAt = t.requestedAt;
    let slot = -1;
    if (busyUntil.length >= t.maxConcurrency) {
      slot = busyUntil.indexOf(Math.min(...busyUntil));
      dispatchAt = Math.max(dispatchAt, busyUntil[slot] ?? dispatchAt);
    }
    const occupy = (until: number): void => {
      if (slot >= 0) busyUntil[slot] = until;
      else busyUntil.push(until);
    };
    const entry = (startAt: number | undefined, endAt: number, outcome: Outcome, unreachable = false): InvocationEntry => ({
      commandId,
      instanceId: p.instanceId,
      instanceName: p.instanceName,
      requestedAt: t.requestedAt,
      startAt,
      endAt,
      outcome,
      unreachable,
      cancelledAt: undefined,
    });
    if (errorEnds.filter((e) => e <= dispatchAt).length > t.maxErrors) return entry(undefined, dispatchAt, terminated);
    const { behavior } = p;
    if (!p.reachable || behavior.status === 'DeliveryTimedOut') {
      occupy(deliveryDeadline);
      return entry(undefined, deliveryDeadline, deliveryTimedOut, true);
    }
    if (behavior.status === 'Undeliverable' || behavior.status === 'Terminated') {
      return entry(undefined, dispatchAt + t.deliveryMs, outcomeOf(behavior, t.killedExitCode));
    }
    const startAt = dispatchAt + t.deliveryMs;
    if (startAt >= deliveryDeadline) return entry(undefined, deliveryDeadline, deliveryTimedOut);
    let outcome = outcomeOf(behavior, t.killedExitCode);
    let runMs = behavior.runMs ?? (behavior.status === 'TimedOut' ? t.executionTimeoutMs : t.defaultRunMs);
    // A script that outlives executionTimeout is killed, whatever it would have done.
    if (runMs > t.executionTimeoutMs) {
      runMs = t.executionTimeoutMs;
      outcome = outcomeOf({ ...behavior, status: 'TimedOut' }, t.killedExitCode);
    }
    const endAt = startAt + runMs;
    occupy(endAt);
    if (countsAgainstMaxErrors(outcome)) errorEnds.push(endAt);
    return entry(startAt, endAt, outcome);
  });
};

/** deliveryMs is also how long a cancellation takes to reach the agent (status Cancelling meanwhile). */
export const viewInvocation = (inv: InvocationEntry, now: number, deliveryMs: number): InvocationView => {
  const pending = (status: InvocationStatus, statusDetails: string): InvocationView => ({
    status,
    statusDetails,
    responseCode: -1,
    terminal: false,
    startedAt: inv.startAt !== undefined && now >= inv.startAt ? inv.startAt : undefined,
    endedAt: undefined,
    stdout: '',
    stderr: '',
  });
  if (inv.cancelledAt !== undefined && inv.cancelledAt < inv.endAt) {
    const doneAt = inv.cancelledAt + deliveryMs;
    if (now >= doneAt) {
      const startedAt = inv.startAt !== undefined && inv.startAt < inv.cancelledAt ? inv.startAt : undefined;
      return {
        status: 'Cancelled',
        statusDetails: 'Cancelled',
        responseCode: -1,
        terminal: true,
        startedAt,
        endedAt: doneAt,
        stdout: '',
        stderr: '',
      };
    }
    if (now >= inv.cancelledAt) return pending('Cancelling', 'Cancelling');
  }
  if (now < inv.endAt) {
    if (inv.startAt === undefined || now < inv.startAt) {
      return inv.unreachable && now >= inv.requestedAt + deliveryMs ? pending('Delayed', 'Delayed') : pending('Pending', 'Pending');
    }
    return pending('InProgress', 'In Progress');
  }
  const o = inv.outcome;
  return {
    status: o.status,
    statusDetails: o.statusDetails,
    responseCode: o.responseCode,
    terminal: true,
    startedAt: inv.startAt,
    endedAt: inv.startAt === undefined ? undefined : inv.endAt,
    stdout: o.stdout,
    stderr: o.stderr,
  };
};

export type CommandView = {
  status: 'Pending' | 'InProgress' | 'Success' | 'Cancelled' | 'Failed' | 'TimedOut' | 'Cancelling';
  statusDetails: string;
  targetCount: number;
  completedCount: number;
  errorCount: number;
  deliveryTimedOutCount: number;
};

/**
 * Command-level status from its invocations, per the API reference: Success only if every deliverable
 * invocation succeeded; Failed / Execution Timed Out / Delivery Timed Out when more than MaxErrors
 * invocations ended that way; otherwise Incomplete (reported with Status Failed).
 */
export const viewCommand = (views: InvocationView[], maxErrors: number, cancelRequested: boolean): CommandView => {
  const n = views.length;
  let completed = 0;
  let started = 0;
  const by = new Map<string, number>();
  for (const v of views) {
    if (v.terminal) completed++;
    if (v.terminal || v.status !== 'Pending') started++;
    by.set(v.statusDetails, (by.get(v.statusDetails) ?? 0) + 1);
  }
  const count = (details: string): number => by.get(details) ?? 0;
  const failed = count('Failed');
  const execTimedOut = count('Execution Timed Out');
  const deliveryTimedOutCount = count('Delivery Timed Out');
  const counters = { targetCount: n, completedCount: completed, errorCount: failed + execTimedOut, deliveryTimedOutCount };
  const result = (status: CommandView['status'], statusDetails: string): CommandView => ({ status, statusDetails, ...counters });
  if (completed < n) {
    if (cancelRequested) return result('Cancelling', 'Cancelling');
    return started > 0 ? result('InProgress', 'In Progress') : result('Pending', 'Pending');
  }
  const deliverable = n - count('Undeliverable');
  if (count('Success') === deliverable && deliverable > 0) return result('Success', 'Success');
  if (cancelRequested || (count('Cancelled') === deliverable && deliverable > 0)) return result('Cancelled', 'Cancelled');
  if (failed > maxErrors) return result('Failed', 'Failed');
  if (failed + execTimedOut > maxErrors) return result('TimedOut', 'Execution Timed Out');
  if (deliveryTimedOutCount > maxErrors) return result('TimedOut', 'Delivery Timed Out');
  return result('Failed', 'Incomplete');
};
