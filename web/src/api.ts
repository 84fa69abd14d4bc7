import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { useEffect, useRef, useState } from 'react';

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

/** Where the dashboard keeps the caller's bearer token (this tab only). */
const TOKEN_KEY = 'cmg.accessToken';

export function saveAccessToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

/**
 * The request body and headers of a typed document: its query text plus the codegen's document
 * hash (as `extensions.persistedQuery`, which a gateway running any document ignores), so the
 * same call works when the gateway only runs persisted documents; and the bearer token when one
 * was given.
 */
function requestInit(
  document: TypedDocumentNode<unknown, never>,
  variables: unknown,
  accept: string,
): { headers: Record<string, string>; body: string } {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash?.replace(/^sha256:/, '');
  const token = sessionStorage.getItem(TOKEN_KEY);
  return {
    headers: {
      'content-type': 'application/json',
      accept,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      query: queryText(document),
      variables,
      ...(hash ? { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } } : {}),
    }),
  };
}

function queryText(document: TypedDocumentNode<unknown, never>): string {
  let query = printed.get(document);
  if (query === undefined) {
    query = print(document);
    printed.set(document, query);
  }
  return query;
}

/** POSTs one typed document; resolves with its typed data or rejects with a RequestError. */
export async function request<Result, Variables>(
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
  signal?: AbortSignal,
): Promise<Result> {
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    ...requestInit(document, variables, 'application/json'),
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

/** State of a live subscription: `data-state` of the live indicator. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'failed';

interface LiveHandlers<Result> {
  next: (data: Result) => void;
  state: (state: LiveState, error?: RequestError) => void;
}

const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/** The `data:` payloads of the `event: next` frames in a chunk of an event stream. */
function* nextEvents(frames: string[]): Generator<string> {
  for (const frame of frames) {
    const lines = frame.split('\n');
    if (!lines.includes('event: next')) continue;
    const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart());
    if (data.length) yield data.join('\n');
  }
}

/**
 * Runs a typed subscription over Server-Sent Events (POST, `Accept: text/event-stream`, read
 * with fetch so that headers such as Authorization can travel, which EventSource cannot send).
 * Reconnects with backoff when the stream drops; a GraphQL error (bad arguments) is final.
 * Returns the function that closes it.
 */
export function subscribe<Result, Variables>(
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
  handlers: LiveHandlers<Result>,
): () => void {
  const controller = new AbortController();
  let attempt = 0;

  async function connect(): Promise<'retry' | 'stop'> {
    const response = await fetch(ENDPOINT, {
      method: 'POST',
      ...requestInit(document, variables, 'text/event-stream'),
      signal: controller.signal,
    });
    if (!response.ok || !response.body) return 'retry';
    attempt = 0;
    handlers.state('live');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'retry';
      const frames = (buffer + value.replace(/\r\n/g, '\n')).split('\n\n');
      buffer = frames.pop() ?? '';
      for (const data of nextEvents(frames)) {
        const result = JSON.parse(data) as { data?: Result | null; errors?: GraphQLErrorBody[] };
        if (result.errors?.length) {
          const [first] = result.errors;
          handlers.state(
            'failed',
            new RequestError(first?.message ?? 'subscription failed', first?.extensions?.code),
          );
          return 'stop';
        }
        if (result.data) handlers.next(result.data);
      }
    }
  }

  void (async () => {
    handlers.state('connecting');
    while (!controller.signal.aborted) {
      const outcome = await connect().catch(() => 'retry' as const);
      if (outcome === 'stop' || controller.signal.aborted) return;
      handlers.state('reconnecting');
      const delay = RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)];
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  })();
  return () => controller.abort();
}

export interface LiveStatus {
  state: LiveState;
  error?: RequestError;
  /** Connections made so far: more than one means events may have been missed in between. */
  connections: number;
}

/** Keeps a subscription open while mounted (and its variables stay the same); `onData` gets each event. */
export function useSubscription<Result, Variables>(
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
  onData: (data: Result) => void,
): LiveStatus {
  const key = JSON.stringify(variables);
  const [status, setStatus] = useState<LiveStatus>({ state: 'connecting', connections: 0 });
  const handler = useRef(onData);
  handler.current = onData;
  useEffect(
    () =>
      subscribe(document, JSON.parse(key) as Variables, {
        next: (data) => handler.current(data),
        state: (state, error) =>
          setStatus((current) => ({
            state,
            error,
            connections: current.connections + (state === 'live' ? 1 : 0),
          })),
      }),
    [document, key],
  );
  return status;
}
