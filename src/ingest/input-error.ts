/**
 * A rejected input, independent of GraphQL: the schema layer turns it into a GraphQLError
 * with the same code and field path. `field` is a path such as `input[3].budget.spent`.
 */
export class InputError extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly code: 'BAD_USER_INPUT' | 'NOT_FOUND' = 'BAD_USER_INPUT',
    readonly index?: number,
  ) {
    super(message);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function requireUuid(value: string, field: string, index?: number): string {
  if (!isUuid(value)) throw new InputError(`${field} is not a valid UUID`, field, 'BAD_USER_INPUT', index);
  return value.toLowerCase();
}
