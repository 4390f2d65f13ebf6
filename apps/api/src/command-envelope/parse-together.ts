import { FieldError, ValidationError } from '@patchstate/domain';

/**
 * Runs every parser of one request (path ids, body) and refuses the request once, naming the bad fields of all
 * of them together, so a client fixes everything in one round trip.
 */
export function parseTogether<T extends readonly unknown[]>(...parsers: { [K in keyof T]: () => T[K] }): T {
  const results: unknown[] = [];
  const fieldErrors: FieldError[] = [];
  for (const parse of parsers) {
    try {
      results.push(parse());
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      fieldErrors.push(...error.fieldErrors);
      results.push(undefined);
    }
  }
  if (fieldErrors.length > 0) throw new ValidationError(fieldErrors);
  return results as unknown as T;
}
