import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type ExecutionResult, getOperationAST } from 'graphql';
import { isAsyncIterable, mapAsyncIterator, type Plugin } from 'graphql-yoga';
import type { ServingState } from '../server/shutdown.js';
import { type Logger, type RequestScope, runInRequestScope } from './logger.js';
import { logMaskedErrors } from './masked-errors.js';
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

class RequestRecord implements RequestScope {
  readonly startedAt = performance.now();
  /** Set once the request reached GraphQL processing (parameters or a GraphQL result). */
  graphql = false;
  operationName = '(anonymous)';
  operationType = 'unknown';
  #log: Logger | undefined;

  constructor(
    readonly requestId: string,
    private readonly gatewayLog: Logger,
  ) {}

  /** Made on first use: below info level a request may write no line at all. */
  get log(): Logger {
    this.#log ??= this.gatewayLog.child({ requestId: this.requestId });
    return this.#log;
  }
}

export interface RequestObservabilityOptions {
  logger: Logger;
  serving: ServingState;
}

/**
 * Per request: an id (a sane incoming `x-request-id`, else a new UUID) echoed in the response
 * and on its log lines (completion, masked errors; at debug level also yoga's own lines, through
 * a request scope); the in-flight count shutdown waits for; the request duration by operation
 * name and type; response errors by extensions.code; one completion line (info for GraphQL
 * requests, debug for probes and assets). The hooks find the request's record by its Request.
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
  const records = new WeakMap<Request, RequestRecord>();

  return {
    instrumentation: {
      request: ({ request }, handle) => {
        const record = new RequestRecord(requestIdFor(request.headers.get(REQUEST_ID_HEADER)), logger);
        records.set(request, record);
        serving.requestStarted();
        const handled = () =>
          Promise.resolve()
            .then(handle)
            .finally(() => serving.requestFinished());
        return logger.isLevelEnabled('debug') ? runInRequestScope(record, handled) : handled();
      },
    },
    onParams: ({ params, request }) => {
      const record = records.get(request);
      if (!record) return;
      record.graphql = true;
      record.operationName = operationLabel(params.operationName ?? undefined);
    },
    // Validation sees every parsed document, so a request that fails validation is still
    // labelled by its operation.
    onValidate: ({ params, context }) => {
      const { request, params: contextParams } = context as {
        request?: Request;
        params?: { operationName?: string | null };
      };
      const record = request && records.get(request);
      const requested = contextParams?.operationName;
      const operation = getOperationAST(params.documentAST, requested ?? undefined);
      if (!record || !operation) return;
      record.operationName = operationLabel(operation.name?.value);
      record.operationType = operation.operation;
    },
    onResultProcess: ({ request, result, setResult }) => {
      const record = records.get(request);
      if (record) record.graphql = true;
      // The request's logger is made only when a masked error is logged.
      const log = () => record?.log ?? logger;
      if (isAsyncIterable(result)) {
        // A stream's results are masked one by one as they come.
        setResult(
          mapAsyncIterator(result, (item: ExecutionResult) => {
            logMaskedErrors(log, item.errors);
            return item;
          }),
        );
        return;
      }
      for (const single of Array.isArray(result) ? result : [result]) {
        const { errors } = single as ExecutionResult;
        logMaskedErrors(log, errors);
        for (const error of errors ?? []) {
          graphqlErrors.inc({ code: String(error.extensions?.code ?? 'NONE') });
        }
      }
    },
    onResponse: ({ request, response }) => {
      const record = records.get(request);
      if (!record) return;
      response.headers.set(REQUEST_ID_HEADER, record.requestId);
      // Keep-alive connections would keep the server from closing; let clients reconnect elsewhere.
      if (serving.shuttingDown) response.headers.set('connection', 'close');
      const seconds = (performance.now() - record.startedAt) / 1000;
      if (record.graphql) {
        graphqlRequestDuration.observe(
          { operation_name: record.operationName, operation_type: record.operationType },
          seconds,
        );
      }
      const level = record.graphql ? 'info' : 'debug';
      if (!logger.isLevelEnabled(level)) return;
      record.log[level](
        {
          method: request.method,
          path: new URL(request.url).pathname,
          status: response.status,
          durationMs: Math.round(seconds * 1000 * 10) / 10,
          ...(record.graphql
            ? { operationName: record.operationName, operationType: record.operationType }
            : {}),
        },
        'request completed',
      );
    },
  };
}
