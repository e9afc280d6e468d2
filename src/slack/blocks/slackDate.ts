/** A time every reader sees in their own time zone (Slack date formatting), with an ISO fallback. */
export const slackDate = (epochMs: number, format = '{date_short_pretty} {time}'): string =>
  `<!date^${Math.floor(epochMs / 1000)}^${format}|${new Date(epochMs).toISOString()}>`;
