import type { PartitionTransition } from '../credentials/createCredentialMonitor.ts';
import { partitionLabel } from '../domain/credentialStatus.ts';
import { slackDate } from './blocks/slackDate.ts';
import type { Db } from '../db/queries/db.ts';
import { oweChannelPost } from '../db/queries/outbox.ts';

/** One message owed to the approvals channel when a partition's base credentials start failing or recover. */
export const oweCredentialTransition = async (db: Db, channel: string, { status }: PartitionTransition): Promise<void> => {
  const label = `*${partitionLabel(status.partition)}* (${status.partition})`;
  const text =
    status.health === 'failing'
      ? `:red_circle: The ${label} base credentials are failing (${status.errorKind ?? 'error'}) since ${slackDate(status.since.getTime())}: ` +
        `requests and runs in ${status.partition} are refused until they work again. \`/ops status\` shows every account.`
      : `:large_green_circle: The ${label} base credentials work again (checked ${slackDate(status.checkedAt.getTime())}).`;
  await oweChannelPost(db, channel, text);
};
