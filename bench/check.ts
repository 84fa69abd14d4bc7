import type postgres from 'postgres';
import type { Question, Turn } from './common.js';
import { type Check, compareAnswers } from './report.js';

/** The answer check before timing, and the GraphQL request helper the harness shares. */

/** POSTs a GraphQL document; anything but data without errors is an error. */
export async function graphql(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (response.status !== 200 || body.errors || !body.data) {
    throw new Error(`${url} answered ${response.status} ${JSON.stringify(body).slice(0, 500)}`);
  }
  return body.data;
}

/**
 * The SQL answer against the gateway's, and PostGraphile's (where it has a side) against the
 * SQL's, for the first turns of the rotation.
 */
export async function checkQuestion(
  question: Question,
  turns: readonly Turn[],
  servers: { gatewayUrl: string; sql: postgres.Sql; postgraphileUrl: string | null },
): Promise<{ sql: Check; postgraphile: Check }> {
  const sqlDifferences: string[] = [];
  const postgraphileDifferences: string[] = [];
  const pgSide = 'document' in question.postgraphile ? question.postgraphile : null;
  for (const turn of turns) {
    const data = await graphql(servers.gatewayUrl, question.document, turn.variables);
    const raw = await turn.sql(servers.sql);
    const expected = question.fromSql?.(raw);
    if (question.fromSql && question.fromGateway) {
      const difference = compareAnswers(question.fromGateway(data), expected);
      if (difference) sqlDifferences.push(`${turn.label}: ${difference}`);
    }
    if (pgSide && servers.postgraphileUrl) {
      const pgData = await graphql(
        servers.postgraphileUrl,
        pgSide.document,
        turn.postgraphile?.variables ?? {},
        turn.postgraphile?.headers,
      );
      const answer = pgSide.canonical(pgData);
      if (question.fromSql && !pgSide.differs) {
        const difference = compareAnswers(answer, expected);
        if (difference) postgraphileDifferences.push(`${turn.label}: ${difference}`);
      }
    }
  }
  const requests = turns.length;
  const compared = requests === 1 ? turns[0]?.label : `${requests} requests`;
  const verdict = (differences: string[]): Check =>
    differences.length
      ? { verdict: 'MISMATCH', detail: differences.join('; '), requests }
      : { verdict: 'OK', detail: compared ?? '', requests };
  const sqlCheck: Check = question.fromSql
    ? verdict(sqlDifferences)
    : { verdict: 'n/a', detail: 'nothing to compare', requests };
  let postgraphileCheck: Check;
  if (!pgSide) {
    postgraphileCheck = {
      verdict: 'n/a',
      detail: 'unsupported' in question.postgraphile ? question.postgraphile.unsupported : '',
      requests: 0,
    };
  } else if (!servers.postgraphileUrl) {
    postgraphileCheck = { verdict: 'n/a', detail: 'not run (--no-postgraphile)', requests: 0 };
  } else if (pgSide.differs) {
    postgraphileCheck = { verdict: 'differs', detail: pgSide.differs, requests };
  } else if (!question.fromSql) {
    postgraphileCheck = { verdict: 'n/a', detail: 'nothing to compare', requests };
  } else {
    postgraphileCheck = verdict(postgraphileDifferences);
  }
  return { sql: sqlCheck, postgraphile: postgraphileCheck };
}
