import { SchemaValidationError, type Interceptor, type QueryResultRow } from 'slonik';

/**
 * Makes `sql.type(schema)` really validate: every row is parsed with the query's zod schema and a
 * mismatch throws SchemaValidationError (a fault) instead of passing an unchecked row to the caller.
 *
 * Synchronous on purpose (our schemas are synchronous zod schemas): slonik's `transformRowAsync` queues every
 * row of a result as a task (a p-queue of N closures and promises, yielding every 100 rows), so a 10,000-row
 * read kept ~10,000 tasks alive across event-loop turns (seen in heap snapshots of the executor at 10,000
 * instances; bench/RESULTS.md).
 */
export const resultParserInterceptor: Interceptor = {
  name: 'result-parser',
  transformRow: (queryContext, query, row) => {
    const parser = queryContext.resultParser;
    if (!parser) return row;
    const result = parser['~standard'].validate(row);
    if (result instanceof Promise) throw new TypeError('sql.type() schemas must be synchronous (no async refinements)');
    if (result.issues) throw new SchemaValidationError(query, row, result.issues);
    return result.value as QueryResultRow;
  },
};
