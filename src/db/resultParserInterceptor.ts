import { SchemaValidationError, type Interceptor, type QueryResultRow } from 'slonik';

/**
 * Makes `sql.type(schema)` really validate: every row is parsed with the query's zod schema and a
 * mismatch throws SchemaValidationError (a fault) instead of passing an unchecked row to the caller.
 */
export const resultParserInterceptor: Interceptor = {
  name: 'result-parser',
  transformRowAsync: async (queryContext, query, row) => {
    const parser = queryContext.resultParser;
    if (!parser) return row;
    const result = await parser['~standard'].validate(row);
    if (result.issues) throw new SchemaValidationError(query, row, result.issues);
    return result.value as QueryResultRow;
  },
};
