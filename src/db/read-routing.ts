import { type ExecutionResult, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Viewer } from '../auth/viewer.js';
import type { Database } from './client.js';
import { isReplicaFailure, type ReadRoute, type ReadRouter } from './replicas.js';

/** What the routing reads from the request context: who asks, and the HTTP request under it. */
interface RoutedContext {
  viewer: Viewer;
  /** node:http's request when yoga runs behind a Node server. */
  req?: { socket?: { remoteAddress?: string } };
}

export interface ReadRoutingOptions {
  router: ReadRouter;
  /** The context fields bound to a database (`db` and the loaders built on it), for the database chosen. */
  databaseContext(db: Database): object;
}

/**
 * Whose writes a read must see: the token's subject within its tenants, else the client
 * address (open mode, or a token without `sub`), as the rate limit counts callers.
 */
export function callerKey({ viewer, req }: RoutedContext): string {
  if (viewer.subject !== null) return `subject:${viewer.subject}|${viewer.tenantIds?.join(',') ?? '*'}`;
  return `address:${req?.socket?.remoteAddress ?? 'unknown'}`;
}

/** Per request context of a routed query: whether its answer sees every write (ReadRouter.seesEveryWrite). */
const answersSeeEveryWrite = new WeakMap<object, () => boolean>();

/**
 * Whether the answer computed in this request context includes every write the gateway
 * made, asked when it is complete: the response cache stores only such answers. True for
 * contexts no router placed (no replicas, mutations).
 */
export function answerSeesEveryWrite(context: object): boolean {
  return answersSeeEveryWrite.get(context)?.() ?? true;
}

function replicaFailure(result: ExecutionResult): unknown {
  return result.errors?.find((error) => isReplicaFailure(error));
}

/**
 * Picks the database of each GraphQL operation. The context starts on the primary (yoga.ts);
 * a query moves to the replica the router picks, and runs again on the primary if that
 * replica's connection fails (a query writes nothing, so running it twice is safe). A
 * mutation stays on the primary for the whole operation, reads inside it included, and
 * leaves the caller's write position with the router. Subscriptions stay on the primary:
 * their events announce writes a replica may not have replayed yet. Placed before the response
 * cache (a hit then reaches no database and counts no read; a miss is stored only if
 * answerSeesEveryWrite says so once this wrapper is done) and after any plugin that
 * replaces the execute function outright, such as graphql-jit (it would drop this wrapper).
 */
export function readRouting({ router, databaseContext }: ReadRoutingOptions): Plugin<RoutedContext> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = getOperationAST(args.document, args.operationName)?.operation;
      const caller = callerKey(args.contextValue);
      if (operation === 'mutation') {
        setExecuteFn(async (executionArgs) =>
          router.trackWrite(caller, async () => executeFn(executionArgs)),
        );
      } else if (operation === 'query') {
        setExecuteFn(async (executionArgs) => {
          const context = executionArgs.contextValue as object;
          const routeTo = (route: ReadRoute) => {
            Object.assign(context, databaseContext(route.db));
            answersSeeEveryWrite.set(context, () => router.seesEveryWrite(route));
          };
          const route = await router.routeRead(caller);
          if (!route.replica) return executeFn(executionArgs);
          routeTo(route);
          const result = await executeFn(executionArgs);
          const failure = Symbol.asyncIterator in result ? undefined : replicaFailure(result);
          if (failure === undefined) return result;
          const fallback = router.replicaFailed(route.replica, failure);
          routeTo(fallback);
          return executeFn(executionArgs);
        });
      }
    },
  };
}
