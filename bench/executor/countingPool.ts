import { createPgDriverFactory } from '@slonik/pg-driver';
import { createPool, type DatabasePool } from 'slonik';
import { resultParserInterceptor } from '../../src/db/resultParserInterceptor.ts';

export type CountingPool = {
  readonly pool: DatabasePool;
  readonly roundTrips: () => number;
  /** The round-trip count at each poll-round boundary (the executor's recordPollRound statement). */
  readonly roundMarks: () => readonly number[];
};

/**
 * The product's pool (same driver and result parser) plus a counter of database round trips: every
 * statement through the interceptors, and BEGIN + COMMIT for each transaction.
 */
export const createCountingPool = async (url: string): Promise<CountingPool> => {
  let statements = 0;
  let transactions = 0;
  const marks: number[] = [];
  const pool = await createPool(url, {
    driverFactory: createPgDriverFactory(),
    interceptors: [
      resultParserInterceptor,
      {
        name: 'count',
        beforeQueryExecution: (_context, query) => {
          statements += 1;
          if (query.sql.includes('poll_round = poll_round + 1')) marks.push(statements + 2 * transactions);
          return null;
        },
      },
    ],
    maximumPoolSize: 10,
    captureStackTrace: false,
  });
  const counted = new Proxy(pool, {
    get: (target, prop, receiver) => {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop === 'transaction' && typeof value === 'function') {
        return (...args: unknown[]) => {
          transactions += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { pool: counted, roundTrips: () => statements + 2 * transactions, roundMarks: () => marks };
};
