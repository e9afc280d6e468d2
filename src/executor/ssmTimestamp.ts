/** A ListCommands InvokedAfter/InvokedBefore filter value: ISO 8601 to the second, as the API reference shows it. */
export const ssmTimestamp = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/u, 'Z');
