/** Groups items by account+region, the unit SSM throttles and lists by. */
export const byScope = <T extends { readonly account_id: string; readonly region: string }>(items: readonly T[]): T[][] => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = `${item.account_id}|${item.region}`;
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups.values()];
};
