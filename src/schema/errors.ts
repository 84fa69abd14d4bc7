import { GraphQLError } from 'graphql';
import { InputError } from '../ingest/input-error.js';

/** Errors meant for the caller; everything else is masked by Yoga as "Unexpected error.". */
export function badUserInput(message: string, field: string, index?: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', field, ...(index === undefined ? {} : { index }) },
  });
}

export function notFound(message: string, field: string, index?: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'NOT_FOUND', field, ...(index === undefined ? {} : { index }) },
  });
}

/** Runs `work`, reporting an InputError from below as the GraphQL error it describes. */
export async function withInputErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof InputError) {
      const report = error.code === 'NOT_FOUND' ? notFound : badUserInput;
      throw report(error.message, error.field, error.index);
    }
    throw error;
  }
}
