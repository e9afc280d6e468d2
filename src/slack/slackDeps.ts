import type { Logger } from 'pino';
import type { CredentialMonitor } from '../credentials/createCredentialMonitor.ts';
import type { DatabasePool } from 'slonik';
import type { InventorySyncRequest } from '../inventory/requestSync.ts';
import type { RunCanceller } from '../runs/cancelRun.ts';
import type { RunContinuer } from '../runs/continueRun.ts';
import type { RunStopper } from '../runs/stopRun.ts';
import type { RunDecider } from '../runs/decideRun.ts';
import type { RequestGate } from '../runs/requestGate.ts';
import type { RunAccess } from '../runs/runAccess.ts';
import type { RunSubmitter } from '../runs/submitRun.ts';
import type { FreezeSwitch } from '../runs/switchFreeze.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import type { ApproverDirectory } from './approverDirectory.ts';
import type { FleetChoices } from './blocks/requestModal.ts';
import type { Sender } from './sender.ts';
import type { TargetFileReader } from './readTargetFile.ts';

/** What the listeners get from the composition root; they never see the executor. */
export type SlackDeps = {
  readonly pool: DatabasePool;
  readonly registry: ToolRegistry;
  readonly submitter: RunSubmitter;
  readonly decider: RunDecider;
  readonly canceller: RunCanceller;
  /** Continue and Stop on a halted rollout. */
  readonly continuer: RunContinuer;
  readonly stopper: RunStopper;
  readonly freezer: FreezeSwitch;
  /** Who may request which tool from where (checked before the request form opens). */
  readonly requestGate: RequestGate;
  /** Which runs a person may see (`/ops history`, `/ops show`). */
  readonly runAccess: RunAccess;
  readonly approvers: ApproverDirectory;
  /** Credential status of the partitions and accounts (`/ops status`, App Home, the request modal). */
  readonly credentials: Pick<CredentialMonitor, 'scopes' | 'status'>;
  /** ADMIN_USER_IDS: they see every run and the credential checks' error details. */
  readonly adminIds: readonly string[];
  /** Ephemeral answers to a person's own action; owed messages go through the outbox instead. */
  readonly sender: Sender;
  /** Owed messages were queued (src/db/queries/outbox.ts): deliver them now rather than at the next interval. */
  readonly wakeOutbox: () => void;
  readonly logger: Logger;
  readonly approvalChannelId: string;
  /** Slack allows 3 s to answer a view submission; checks longer than this finish in an updated view. */
  readonly submitBudgetMs: number;
  /** `/ops inventory sync` (absent: the command says the inventory is not available). */
  readonly inventory?: InventorySyncRequest;
  /** Configured accounts and regions for the request modal's optional narrowing selects. */
  readonly fleet?: FleetChoices;
  /** Reads the request modal's uploaded target list (absent: the file field is refused at submit). */
  readonly targetFiles?: TargetFileReader;
};
