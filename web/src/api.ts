import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { useEffect, useState } from 'react';

/** The gateway's endpoint: the dashboard is served by the gateway itself. */
export const ENDPOINT = '/graphql';

interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string };
}

/** Error from the gateway (GraphQL errors or a failed HTTP request), with a readable message. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

const printed = new WeakMap<object, string>();

/** POSTs one typed document; resolves with its typed data or rejects with a RequestError. */
export async function request<Result, Variables>(
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
  signal?: AbortSignal,
): Promise<Result> {
  let query = printed.get(document);
  if (query === undefined) {
    query = print(document);
    printed.set(document, query);
  }
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal,
  });
  let body: { data?: Result | null; errors?: GraphQLErrorBody[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new RequestError(`the gateway answered HTTP ${response.status} without JSON`);
  }
  if (body.errors?.length) {
    throw new RequestError(
      body.errors.map((error) => error.message).join('; '),
      body.errors[0]?.extensions?.code,
    );
  }
  if (!body.data) throw new RequestError(`the gateway answered HTTP ${response.status} without data`);
  return body.data;
}

export interface QueryState<Result> {
  /** The latest data; while new variables load, the previous answer (shown dimmed). */
  data: Result | undefined;
  error: Error | undefined;
  /** True from the render that changes the variables until their answer arrives. */
  loading: boolean;
}

interface Answer<Result> {
  key: string;
  data?: Result;
  error?: Error;
}

/**
 * Runs a typed document whenever its variables change (`null` skips it). Loading is derived
 * during render, so a panel never shows an old answer as if it belonged to new variables.
 */
export function useQuery<Result, Variables>(
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables | null,
): QueryState<Result> {
  const key = variables === null ? null : JSON.stringify(variables);
  const [answer, setAnswer] = useState<Answer<Result> | null>(null);
  const [previous, setPrevious] = useState<Result | undefined>(undefined);

  useEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    request(document, JSON.parse(key) as Variables, controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        setAnswer({ key, data });
        setPrevious(data);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setAnswer({ key, error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => controller.abort();
  }, [document, key]);

  const current = answer !== null && answer.key === key;
  return {
    data: current ? (answer.data ?? undefined) : previous,
    error: current ? answer.error : undefined,
    loading: key === null || !current,
  };
}
