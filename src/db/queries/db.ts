import type { CommonQueryMethods } from 'slonik';

/** Anything queries can run on: the pool or a transaction connection handed to a callback. */
export type Db = CommonQueryMethods;
