/** How a run or execution status reads to people: `partially_failed` → `partially failed`. */
export const statusLabel = (status: string): string => status.replace(/_/gu, ' ');
