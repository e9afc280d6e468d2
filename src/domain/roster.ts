/**
 * Who may do something (approve a tool's runs, request a tool): Slack user ids, and whether every user
 * group behind them could be read. An unverified roster lacks the members of the groups Slack did not
 * answer for, so a person missing from it is told that approvers/requesters could not be verified
 * rather than that they are not allowed (fail closed either way).
 */
export type Roster = { readonly members: ReadonlySet<string>; readonly verified: boolean };

export const rosterOf = (ids: Iterable<string>, verified = true): Roster => ({ members: new Set(ids), verified });
