import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type ExecutionResult, getOperationAST } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { ServingState } from '../server/shutdown.js';
import { currentRequestScope, type Logger, type RequestScope, runInRequestScope } from './logger.js';
import { graphqlErrors, graphqlRequestDuration } from './metrics.js';

const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id is kept when it is short printable ASCII without spaces (safe in logs and headers). */
const SANE_REQUEST_ID = /^[\w.:/+=@-]{1,128}$/;

function requestIdFor(incoming: string | null): string {
  return incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
/**
 * Operation names are chosen by clients: past this many distinct ones, the rest share one label.
 * The placeholder labels are in parentheses, which no GraphQL name contains.
 */
const MAX_OPERATION_NAMES = 500;

interface RequestRecord extends RequestScope {
  startedAt: number;
  /** Set once the request reached GraphQL processing (parameters or a GraphQL result). */
  graphql: boolean;
  operationName: string;
  operationType: string;
}

export interface RequestObservabilityOptions {
  logger: Logger;
  serving: ServingState;
}

/**
 * Per request: an id (a sane incoming `x-request-id`, else a new UUID) echoed in the response
 * and bound to every log line written while handling it; the in-flight count shutdown waits
 * for; the request duration by operation name and type; response errors by extensions.code;
 * one completion line (info for GraphQL requests, debug for probes and assets).
 */
export function requestObservability({ logger, serving }: RequestObservabilityOptions): Plugin {
  const operationNames = new Set<string>();
  const operationLabel = (name: string | undefined) => {
    if (!name) return '(anonymous)';
    if (!GRAPHQL_NAME.test(name)) return '(invalid)';
    if (!operationNames.has(name) && operationNames.size >= MAX_OPERATION_NAMES) return '(other)';
    operationNames.add(name);
    return name;
  };
  const current = () => currentRequestScope() as RequestRecord | undefined;

  return {
    instrumentation: {
      request: ({ request }, handle) => {
        const requestId = requestIdFor(request.headers.get(REQUEST_ID_HEADER));
        const record: RequestRecord = {
          requestId,
          log: logger.child({ requestId }),
          startedAt: performance.now(),
          graphql: false,
          operationName: '(anonymous)',
          operationType: 'unknown',
        };
        serving.requestStarted();
        return runInRequestScope(record, () =>
          Promise.resolve()
            .then(handle)
            .finally(() => serving.requestFinished()),
        );
      },
    },
    onParams: ({ params }) => {
      const record = current();
      if (!record) return;
      record.graphql = true;
      record.operationName = operationLabel(params.operationName ?? undefined);
    },
    // Validation sees every parsed document, so a request that fails validation is still
    // labelled by its operation.
    onValidate: ({ params, context }) => {
      const record = current();
      const requested = (context as { params?: { operationName?: string | null } }).params?.operationName;
      const operation = getOperationAST(params.documentAST, requested ?? undefined);
      if (!record || !operation) return;
      record.operationName = operationLabel(operation.name?.value);
      record.operationType = operation.operation;
    },
    onResultProcess: ({ result }) => {
      const record = current();
      if (record) record.graphql = true;
      if (isAsyncIterable(result)) return;
      for (const single of Array.isArray(result) ? result : [result]) {
        for (const error of (single as ExecutionResult).errors ?? []) {
          graphqlErrors.inc({ code: String(error.extensions?.code ?? 'NONE') });
        }
      }
    },
    onResponse: ({ request, response }) => {
      const record = current();
      if (!record) return;
      response.headers.set(REQUEST_ID_HEADER, record.requestId);
      // Keep-alive connections would keep the server from closing; let clients reconnect elsewhere.
      if (serving.shuttingDown) response.headers.set('connection', 'close');
      const seconds = (performance.now() - record.startedAt) / 1000;
      const url = new URL(request.url);
      const line = {
        method: request.method,
        path: url.pathname,
        status: response.status,
        durationMs: Math.round(seconds * 1000 * 10) / 10,
        ...(record.graphql
          ? { operationName: record.operationName, operationType: record.operationType }
          : {}),
      };
      if (record.graphql) {
        graphqlRequestDuration.observe(
          { operation_name: record.operationName, operation_type: record.operationType },
          seconds,
        );
        record.log.info(line, 'request completed');
      } else {
        record.log.debug(line, 'request completed');
      }
    },
  };
}
