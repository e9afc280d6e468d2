import type { SimInvocation } from './simTypes.ts';

/** The stubs' invocation log: records separated by \x1e, fields (command, argc, args…) by \x1f. */
export const parseInvocations = (log: string): SimInvocation[] =>
  log
    .split('\x1e')
    .filter((rec) => rec.length > 0)
    .map((rec) => {
      const [command = '', count = '0', ...rest] = rec.split('\x1f');
      return { command, args: Number(count) === 0 ? [] : rest };
    });
