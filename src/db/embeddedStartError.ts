/** The embedded PostgreSQL did not start: why, in PostgreSQL's own words where it said any. */
export class EmbeddedStartError extends Error {
  readonly dataDir: string;
  readonly postgresLog: readonly string[];

  constructor(message: string, dataDir: string, postgresLog: readonly string[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmbeddedStartError';
    this.dataDir = dataDir;
    this.postgresLog = postgresLog;
  }
}
