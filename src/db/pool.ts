import { createPgDriverFactory } from '@slonik/pg-driver';
import { createPool as createSlonikPool, type DatabasePool } from 'slonik';
import { resultParserInterceptor } from './resultParserInterceptor.ts';

export type PoolOptions = { readonly maximumPoolSize?: number };

/** The one way to get a database pool: pg driver, validated rows, bounded size. */
export const createPool = async (databaseUrl: string, options: PoolOptions = {}): Promise<DatabasePool> =>
  createSlonikPool(databaseUrl, {
    driverFactory: createPgDriverFactory(),
    interceptors: [resultParserInterceptor],
    maximumPoolSize: options.maximumPoolSize ?? 10,
    captureStackTrace: false,
  });
