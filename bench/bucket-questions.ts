import {
  type BenchWindow,
  iso,
  num,
  type Question,
  type RotatingCampaign,
  type Rotation,
  readDocument,
  type Turn,
} from './common.js';

/**
 * The calendar-bucket questions of one campaign per request: the daily series of document 04
 * (30 and 90 days), a year of weeks in a fixed non-UTC zone, and year over year. PostGraphile
 * answers buckets through pg-aggregates' groupedAggregates, which truncates in the session
 * zone: each request sends the zone in `x-time-zone` and the server makes it the transaction's
 * TimeZone (bench/postgraphile/server.mjs).
 */

type Row = Record<string, unknown>;
type Rows = readonly Row[];

const DAY_MS = 86_400_000;

/** One turn per rotating campaign. */
function perCampaign(rotation: Rotation, turn: (campaign: RotatingCampaign) => Omit<Turn, 'label'>): Turn[] {
  return rotation.campaigns.map((campaign) => ({ label: `campaign ${campaign.id}`, ...turn(campaign) }));
}

interface GroupedAggregate {
  keys: string[];
  [aggregate: string]: unknown;
}

/** groupedAggregates of `campaignByRowId.campaignMetricsSnapshotsByCampaignId`, oldest bucket first. */
function groupsOf(data: Record<string, unknown>): { rowId: string; groups: GroupedAggregate[] } | null {
  const campaign = data.campaignByRowId as {
    rowId: string;
    campaignMetricsSnapshotsByCampaignId: { groupedAggregates: GroupedAggregate[] };
  } | null;
  if (!campaign) return null;
  const groups = [...campaign.campaignMetricsSnapshotsByCampaignId.groupedAggregates].sort(
    (a, b) => Date.parse(a.keys[0] ?? '') - Date.parse(b.keys[0] ?? ''),
  );
  return { rowId: campaign.rowId, groups };
}

// ---------------------------------------------------------------------------------------
// Daily series (document 04: four capacity metrics, LAST per local day, gaps carried forward)

const SERIES_METRICS = [
  'volunteers_current',
  'beneficiaries_current',
  'volunteers_target',
  'beneficiaries_target',
] as const;

const POSTGRAPHILE_DAILY = `# MAX per local day (pg-aggregates has no LAST), days with snapshots only
query DailySeries($id: UUID!, $from: Datetime!, $to: Datetime!) {
  campaignByRowId(rowId: $id) {
    rowId
    campaignMetricsSnapshotsByCampaignId(condition: { snapshotDateFrom: $from, snapshotDateTo: $to }) {
      groupedAggregates(groupBy: SNAPSHOT_DATE_TRUNCATED_TO_DAY) {
        keys
        max { volunteersCurrent beneficiariesCurrent volunteersTarget beneficiariesTarget }
      }
    }
  }
}
`;

export function seriesQuestion(days: 30 | 90, from: Date, to: Date): Question {
  const range = { from: from.toISOString(), to: to.toISOString() };
  return {
    key: `series-${days}d`,
    label: `${days}-day daily series, one campaign`,
    document: readDocument('04-capacity-trend.graphql'),
    turns: (rotation) =>
      perCampaign(rotation, ({ id, timeZone }) => ({
        variables: { id, ...range, granularity: 'DAY' },
        // Every local day that overlaps [from, to) (an hourly walk plus the last instant hits
        // each of them, as days last at least 23 hours), the LAST snapshot of each day (DISTINCT
        // ON over the (campaign_id, snapshot_date) index range), and empty days carrying the last
        // non-empty day forward (runs of days counted from each day with data).
        sql: (db) => db`
          WITH c AS (SELECT id, time_zone FROM campaigns WHERE id = ${id}::uuid),
          days AS (
            SELECT DISTINCT date_trunc('day', g.at, c.time_zone) AS day
            FROM c, (
              SELECT generate_series(${range.from}::timestamptz,
                                     ${range.to}::timestamptz - interval '1 hour',
                                     interval '1 hour') AS at
              UNION ALL SELECT ${range.to}::timestamptz - interval '1 microsecond'
            ) g
          ),
          last_per_day AS (
            SELECT DISTINCT ON (1) date_trunc('day', s.snapshot_date, c.time_zone) AS day,
                   s.volunteers_current, s.beneficiaries_current, s.volunteers_target, s.beneficiaries_target
            FROM c JOIN campaign_metrics_snapshots s ON s.campaign_id = c.id
            WHERE s.snapshot_date >= ${range.from}::timestamptz
              AND s.snapshot_date < ${range.to}::timestamptz
            ORDER BY 1, s.snapshot_date DESC
          ),
          runs AS (
            SELECT d.day, l.volunteers_current, l.beneficiaries_current, l.volunteers_target,
                   l.beneficiaries_target, count(l.day) OVER (ORDER BY d.day) AS run
            FROM days d LEFT JOIN last_per_day l ON l.day = d.day
          )
          SELECT (SELECT id FROM c) AS id, (SELECT time_zone FROM c) AS time_zone, day,
                 max(volunteers_current) OVER (PARTITION BY run) AS volunteers_current,
                 max(beneficiaries_current) OVER (PARTITION BY run) AS beneficiaries_current,
                 max(volunteers_target) OVER (PARTITION BY run) AS volunteers_target,
                 max(beneficiaries_target) OVER (PARTITION BY run) AS beneficiaries_target
          FROM runs
          ORDER BY day`,
        postgraphile: { variables: { id, ...range }, headers: { 'x-time-zone': timeZone } },
      })),
    fromSql: (raw) => {
      const rows = raw as Rows;
      const first = rows[0];
      if (!first) return { campaign: null };
      return {
        campaign: {
          id: first.id,
          series: {
            granularity: 'DAY',
            timeZone: first.time_zone,
            timestamps: rows.map((row) => iso(row.day)),
            columns: SERIES_METRICS.map((column) => ({
              metric: column.toUpperCase(),
              values: rows.map((row) => num(row[column])),
            })),
          },
        },
      };
    },
    fromGateway: (data) => data,
    postgraphile: {
      document: POSTGRAPHILE_DAILY,
      differs:
        'pg-aggregates has no LAST (nor FIRST) aggregate and no gap fill: PostGraphile is asked MAX per local day, days with snapshots only',
      canonical: (data) => {
        const answer = groupsOf(data);
        if (!answer) return { campaign: null };
        return {
          campaign: {
            id: answer.rowId,
            days: answer.groups.map((group) => iso(group.keys[0])),
            max: answer.groups.map((g) => g.max),
          },
        };
      },
    },
  };
}

// ---------------------------------------------------------------------------------------
// A year of weeks in a non-UTC zone (Monday weeks; sample count, AVG and MAX per week)

const WEEKS_DOCUMENT = `# 52 local weeks: sample count, mean SROI and the most volunteers of each week with snapshots
query WeekBuckets($id: ID!, $from: DateTime!, $to: DateTime!, $timeZone: TimeZone!) {
  campaign(id: $id) {
    id
    snapshots(granularity: WEEK, timeZone: $timeZone, from: $from, to: $to, first: 60) {
      edges {
        node {
          snapshotDate
          sampleCount
          sroi: value(metric: SROI_SCORE, stat: AVG)
          volunteers: value(metric: VOLUNTEERS_CURRENT, stat: MAX)
        }
      }
    }
  }
}
`;

const POSTGRAPHILE_WEEKS = `# the zone comes as the x-time-zone header (the transaction's TimeZone)
query WeekBuckets($id: UUID!, $from: Datetime!, $to: Datetime!) {
  campaignByRowId(rowId: $id) {
    rowId
    campaignMetricsSnapshotsByCampaignId(condition: { snapshotDateFrom: $from, snapshotDateTo: $to }) {
      groupedAggregates(groupBy: SNAPSHOT_DATE_TRUNCATED_TO_WEEK) {
        keys
        distinctCount { snapshotDate }
        average { sroiScore }
        max { volunteersCurrent }
      }
    }
  }
}
`;

interface Week {
  start: string | null;
  samples: number | null;
  sroi: number | null;
  volunteers: number | null;
}

export function weeksQuestion(weeks: BenchWindow['weeks']): Question {
  const range = { from: weeks.from.toISOString(), to: weeks.to.toISOString() };
  return {
    key: 'weeks-1y',
    label: `52 weeks in ${weeks.zone}, one campaign`,
    document: WEEKS_DOCUMENT,
    turns: (rotation) =>
      perCampaign(rotation, ({ id }) => ({
        variables: { id, ...range, timeZone: weeks.zone },
        sql: async (db) => ({
          id,
          rows: await db`
            SELECT date_trunc('week', snapshot_date, ${weeks.zone}) AS week, count(*)::int AS samples,
                   avg(sroi_score)::float8 AS sroi, max(volunteers_current) AS volunteers
            FROM campaign_metrics_snapshots
            WHERE campaign_id = ${id}::uuid
              AND snapshot_date >= ${range.from}::timestamptz AND snapshot_date < ${range.to}::timestamptz
            GROUP BY 1
            ORDER BY 1`,
        }),
        postgraphile: { variables: { id, ...range }, headers: { 'x-time-zone': weeks.zone } },
      })),
    fromSql: (raw) => {
      const { id, rows } = raw as { id: string; rows: Rows };
      return {
        id,
        weeks: rows.map(
          (row): Week => ({
            start: iso(row.week),
            samples: num(row.samples),
            sroi: num(row.sroi),
            volunteers: num(row.volunteers),
          }),
        ),
      };
    },
    fromGateway: (data) => {
      const campaign = data.campaign as {
        id: string;
        snapshots: { edges: { node: Row }[] };
      };
      return {
        id: campaign.id,
        weeks: campaign.snapshots.edges.map(
          ({ node }): Week => ({
            start: iso(node.snapshotDate),
            samples: num(node.sampleCount),
            sroi: num(node.sroi),
            volunteers: num(node.volunteers),
          }),
        ),
      };
    },
    postgraphile: {
      document: POSTGRAPHILE_WEEKS,
      canonical: (data) => {
        const answer = groupsOf(data);
        return {
          id: answer?.rowId,
          weeks: (answer?.groups ?? []).map(
            (g): Week => ({
              start: iso(g.keys[0]),
              samples: num((g.distinctCount as Row).snapshotDate),
              sroi: num((g.average as Row).sroiScore),
              volunteers: num((g.max as Row).volunteersCurrent),
            }),
          ),
        };
      },
    },
  };
}

// ---------------------------------------------------------------------------------------
// Year over year (document 13: BUDGET_SPENT, LAST per ISO week, this year beside the last)

export function yearOverYearQuestion(year: number): Question {
  // Wide enough for every ISO week of both years in any zone; weeks are then picked by label.
  const from = new Date(Date.UTC(year - 1, 0, 1) - 7 * DAY_MS).toISOString();
  const to = new Date(Date.UTC(year + 1, 0, 1) + 7 * DAY_MS).toISOString();
  return {
    key: 'year-over-year',
    label: 'year over year (ISO weeks), one campaign',
    document: readDocument('13-year-over-year.graphql'),
    // One scan of both years: LAST per local ISO week (DISTINCT ON), labelled by ISO year and
    // week of the week's local start; the two yearly bucket sets joined by week number over
    // the weeks of the year asked for (December 28 lies in its last ISO week).
    turns: (rotation) =>
      perCampaign(rotation, ({ id }) => ({
        variables: { id, year },
        sql: (db) => db`
          WITH c AS (SELECT id, time_zone FROM campaigns WHERE id = ${id}::uuid),
          weeks AS (
            SELECT DISTINCT ON (1) date_trunc('week', s.snapshot_date, c.time_zone) AS week_start,
                   s.budget_spent AS value
            FROM c JOIN campaign_metrics_snapshots s ON s.campaign_id = c.id
            WHERE s.snapshot_date >= ${from}::timestamptz AND s.snapshot_date < ${to}::timestamptz
            ORDER BY 1, s.snapshot_date DESC
          ),
          labelled AS (
            SELECT extract(isoyear FROM w.week_start AT TIME ZONE c.time_zone)::int AS iso_year,
                   extract(week FROM w.week_start AT TIME ZONE c.time_zone)::int AS week, w.value
            FROM weeks w, c
          ),
          current_year AS (SELECT week, value FROM labelled WHERE iso_year = ${year}::int),
          previous_year AS (SELECT week, value FROM labelled WHERE iso_year = ${year - 1}::int)
          SELECT (SELECT id FROM c) AS id, (SELECT time_zone FROM c) AS time_zone, p.week AS period,
                 cur.value AS current, prev.value AS previous,
                 CASE WHEN cur.value IS NULL OR prev.value IS NULL OR prev.value = 0 THEN NULL
                      ELSE (cur.value::float8 - prev.value::float8) / prev.value::float8 END AS change
          FROM generate_series(1, extract(week FROM make_date(${year}::int, 12, 28))::int) AS p(week)
          LEFT JOIN current_year cur ON cur.week = p.week
          LEFT JOIN previous_year prev ON prev.week = p.week
          ORDER BY p.week`,
      })),
    fromSql: (raw) => {
      const rows = raw as Rows;
      const first = rows[0];
      return {
        campaign: {
          id: first?.id,
          yearOverYear: {
            year,
            previousYear: year - 1,
            granularity: 'WEEK',
            timeZone: first?.time_zone,
            periods: rows.map((row) => num(row.period)),
            current: rows.map((row) => num(row.current)),
            previous: rows.map((row) => num(row.previous)),
            change: rows.map((row) => num(row.change)),
          },
        },
      };
    },
    fromGateway: (data) => data,
    postgraphile: {
      unsupported:
        'LAST per ISO week needs a FIRST/LAST aggregate; pg-aggregates has sum, min, max, average, counts, stddev and variance only',
    },
  };
}
