/** The first `max` items, comma-separated, and how many more there are: "a, b, c and 7 more". */
export const listSome = (items: readonly string[], max = 10): string =>
  items.slice(0, max).join(', ') + (items.length > max ? ` and ${items.length - max} more` : '');
