import type { PGlite, QueryOptions, Transaction } from '@electric-sql/pglite';
import type { Sql } from 'postgres';
import { dbStatementsInFlight, dbTransactionsOpen, sqlStatementDuration } from '../observability/metrics.js';

/**
 * Statement and transaction metrics for both drivers. drizzle's logger only sees a statement
 * leave, never its answer, so the timing wraps the driver calls drizzle makes: postgres.js
 * `unsafe`/`begin`/`savepoint`, PGlite `query`/`transaction`. A duration runs from the call
 * to the settled result, so it includes waiting for a free pool connection (postgres.js) or
 * for PGlite's single connection.
 */
function settled(result: PromiseLike<unknown>, done: () => void): void {
  // Promise.prototype.then, not the driver's own: a postgres.js query starts executing when
  // its `then` is called, and drizzle still has to pick the row format (`.values()`) first.
  Promise.prototype.then.call(result, done, done);
}

function timed<Result extends PromiseLike<unknown>>(run: () => Result): Result {
  const stopTimer = sqlStatementDuration.startTimer();
  dbStatementsInFlight.inc();
  const result = run();
  settled(result, () => {
    stopTimer();
    dbStatementsInFlight.dec();
  });
  return result;
}

function inTransaction<Result>(run: () => Promise<Result>): Promise<Result> {
  dbTransactionsOpen.inc();
  const result = run();
  settled(result, () => dbTransactionsOpen.dec());
  return result;
}

// biome-ignore lint/suspicious/noExplicitAny: postgres.js is generic over its custom types
type PostgresClient = Sql<any>;

type Callable = (...args: unknown[]) => Promise<unknown>;

export interface PostgresStatementOptions {
  /**
   * Run every statement as a named prepared statement. drizzle sends `db.execute` (all of
   * src/queries) unprepared, and postgres.js then needs two round trips per statement with
   * parameters (describe, then execute) and PostgreSQL plans it again each time; prepared,
   * a repeated statement is one round trip and, after five runs, a cached generic plan
   * (bench/README.md has the measurement). Off for PgBouncer in transaction mode before 1.21.
   */
  prepareStatements: boolean;
}

/**
 * Instruments a postgres.js client and every transaction client it hands out (`begin` on the
 * pool client, `savepoint` on transaction clients; both take the callback last).
 */
export function instrumentPostgres<Client extends PostgresClient>(
  client: Client,
  options: PostgresStatementOptions,
): Client {
  const { unsafe } = client;
  const statementOptions = (given: Parameters<typeof unsafe>[2]) =>
    options.prepareStatements ? { ...given, prepare: true } : given;
  client.unsafe = ((query, parameters, given) =>
    timed(() => unsafe(query, parameters, statementOptions(given)))) as typeof unsafe;
  const scoped = client as unknown as { begin?: Callable; savepoint?: Callable };
  const withInstrumentedCallback =
    (run: Callable) =>
    (...args: unknown[]) =>
      run(
        ...args.map((arg) =>
          typeof arg === 'function' ? (tx: PostgresClient) => arg(instrumentPostgres(tx, options)) : arg,
        ),
      );
  const { begin, savepoint } = scoped;
  if (begin) {
    const run = withInstrumentedCallback(begin);
    scoped.begin = (...args) => inTransaction(() => run(...args));
  }
  if (savepoint) scoped.savepoint = withInstrumentedCallback(savepoint);
  return client;
}

type PgliteQueryable = Pick<PGlite | Transaction, 'query'>;

function instrumentPgliteQuery<Target extends PgliteQueryable>(target: Target): Target {
  const query = target.query.bind(target);
  target.query = <T>(statement: string, params?: unknown[], options?: QueryOptions) =>
    timed(() => query<T>(statement, params, options));
  return target;
}

/** Instruments an embedded PGlite database and its transactions. */
export function instrumentPglite(client: PGlite): PGlite {
  instrumentPgliteQuery(client);
  const transaction = client.transaction.bind(client);
  client.transaction = <T>(callback: (tx: Transaction) => Promise<T>) =>
    inTransaction(() => transaction((tx) => callback(instrumentPgliteQuery(tx))));
  return client;
}
