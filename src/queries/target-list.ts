import { type SQL, sql } from 'drizzle-orm';

/**
 * The relation `alias`(campaign_id, time_zone, target) of the campaigns a per-campaign
 * statement reads (LATERAL per row), with a zone each (null: the campaign's own, or none),
 * numbered from 1 in their order. One target is a row of scalar parameters, not arrays: for
 * an array PostgreSQL's generic plan assumes 10 rows and hashes the whole campaigns table, so
 * it would plan the statement afresh at every execution (about 0.5 ms for a chart's bucket
 * statement, more than running it); with one known row the generic plan has the custom one's
 * shape, and a prepared statement keeps it.
 */
export function targetList(
  targets: readonly { campaignId: string; timeZone: string | null }[],
  alias: 'k' | 't',
): SQL {
  const [only] = targets;
  if (targets.length === 1 && only) {
    return sql`(SELECT ${only.campaignId}::uuid AS campaign_id, ${only.timeZone}::text AS time_zone, 1::bigint AS target) ${sql.raw(alias)}`;
  }
  const ids = `{${targets.map((t) => t.campaignId).join(',')}}`;
  const zones = `{${targets.map((t) => (t.timeZone === null ? 'NULL' : `"${t.timeZone}"`)).join(',')}}`;
  return sql`unnest(${ids}::uuid[], ${zones}::text[]) WITH ORDINALITY AS ${sql.raw(alias)}(campaign_id, time_zone, target)`;
}

/**
 * `c.id` among `ids` for a statement that looks campaigns up by id: one id as a scalar, for
 * the reason above (PostgreSQL prices `= ANY(array)` for 10 ids and never keeps its generic
 * plan), several as an array.
 */
export function campaignIdIn(ids: readonly string[]): SQL {
  const [only] = ids;
  return ids.length === 1 && only !== undefined
    ? sql`c.id = ${only}::uuid`
    : sql`c.id = ANY(${`{${ids.join(',')}}`}::uuid[])`;
}
