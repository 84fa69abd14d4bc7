/**
 * How long a cached answer may live, by the fields it reads. The origin document caches
 * dashboard queries in Redis for 5-10 minutes: the latest numbers for minutes, older history
 * for hours. Every write through the gateway invalidates the campaigns it touched at once
 * (src/cache/entities.ts), so these TTLs only bound how stale an answer gets after a change
 * the gateway did not see: a write through another instance with its own in-memory cache, a
 * seed or retention CLI run, SQL by hand. An answer lives as long as its shortest rule.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Answers no rule below covers: campaign rows (name, status, dates, zone), which only
 * upsertCampaign changes; the seed's upper bound. Rows do not shorten an answer that has a
 * rule (a settled history keeps its hours even with the campaign's name in it).
 */
export const DEFAULT_TTL_MS = 10 * MINUTE;
/** The newest snapshot and what derives from it: HOURLY campaigns get a new one every hour. */
export const LATEST_TTL_MS = 5 * MINUTE;
/** A range reaching into the last hour still gets snapshots (an hourly writer is still writing it). */
export const RECENT_RANGE_TTL_MS = 5 * MINUTE;
/** A range that ended over an hour ago changes only by late writes and retention, both invalidated. */
export const SETTLED_RANGE_TTL_MS = 6 * HOUR;
/** How long after its end a range counts as settled. */
export const SETTLED_AFTER_MS = HOUR;
/** Read against the wall clock: campaigns fall due as time passes without any write. */
export const CLOCK_TTL_MS = MINUTE;

/** Fields whose answer does not depend on their arguments (plugin option, by schema coordinate). */
export const ttlPerSchemaCoordinate: Record<string, number> = {
  'Campaign.latestSnapshot': LATEST_TTL_MS,
  'Campaign.capacityAlerts': LATEST_TTL_MS,
  'Campaign.budgetBurn': LATEST_TTL_MS,
  'Campaign.forecast': LATEST_TTL_MS,
  // "Sessions in the last 7 days" up to the latest snapshot.
  'Campaign.snapshotCadence': LATEST_TTL_MS,
  'Query.capacityAlerts': LATEST_TTL_MS,
};

type Arguments = Record<string, unknown>;

/** Settled once `end` lies more than SETTLED_AFTER_MS in the past; no end means "up to now". */
function rangeTtl(end: unknown, now: number): number {
  return end instanceof Date && end.getTime() <= now - SETTLED_AFTER_MS
    ? SETTLED_RANGE_TTL_MS
    : RECENT_RANGE_TTL_MS;
}

/**
 * Fields whose answer depends on where their range ends (arguments as the field receives
 * them). Not listed here and not above: DEFAULT_TTL_MS.
 */
export const ttlByArguments: Record<string, (args: Arguments, now: number) => number> = {
  // Without `to` a history page runs up to the newest snapshot.
  'Campaign.snapshots': (args, now) => rangeTtl(args.to, now),
  'Campaign.series': (args, now) => rangeTtl(args.to, now),
  'Campaign.activityHeatmap': (args, now) => rangeTtl(args.to, now),
  // A year ends at local midnight of 1 January: at most 14 hours after UTC's, a day covers it.
  'Campaign.yearOverYear': (args, now) =>
    rangeTtl(typeof args.year === 'number' ? new Date(Date.UTC(args.year + 1, 0, 2)) : undefined, now),
  // Without `to` the values are the latest ones.
  'Query.compareCampaigns': (args, now) => rangeTtl(args.to, now),
  // Without asOf it is "due now", which moves with the clock.
  'Query.snapshotsDue': (args, now) => (args.asOf instanceof Date ? rangeTtl(args.asOf, now) : CLOCK_TTL_MS),
};
