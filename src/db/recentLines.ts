export type RecentLines = {
  readonly add: (chunk: unknown) => void;
  readonly all: () => string[];
  /** PostgreSQL's own reasons (FATAL, ERROR, PANIC, DETAIL, HINT lines, and others that name an error), else the last few lines. */
  readonly relevant: () => string[];
};

const reason = /\b(FATAL|ERROR|PANIC|DETAIL|HINT):|error|could not|invalid|already (exists|in use)|another postmaster/iu;

/** A bounded buffer of the last lines a child process printed, so a failure can be explained without unbounded memory. */
export const createRecentLines = (maxLines = 200, maxLineLength = 500): RecentLines => {
  const lines: string[] = [];
  return {
    add: (chunk) => {
      const text = chunk instanceof Error ? chunk.message : String(chunk);
      for (const line of text.split(/\r?\n/u)) {
        const trimmed = line.replace(/^\[STDERR\] /u, '').trim();
        if (!trimmed) continue;
        lines.push(trimmed.length > maxLineLength ? `${trimmed.slice(0, maxLineLength)}…` : trimmed);
        if (lines.length > maxLines) lines.shift();
      }
    },
    all: () => [...lines],
    relevant: () => {
      const found = lines.filter((l) => reason.test(l));
      return (found.length > 0 ? found : lines).slice(-20);
    },
  };
};
