import { ALERTS_SQL, type BenchWindow, iso, num, type Question, readDocument, text } from './common.js';
import { dashboardQuestion } from './dashboard.js';

/**
 * The questions `npm run bench` asks, each twice: as a GraphQL document over HTTP to the
 * gateway, and as hand-written SQL through postgres.js that answers the same question
 * (same campaign, range, zone, statistic, gap fill and order). `fromGateway` and `fromSql`
 * turn both answers into one canonical JSON shape, compared once per question before any
 * timing so the comparison is honest.
 */

type Row = Record<string, unknown>;
type Rows = readonly Row[];

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------
// Latest snapshot of one campaign (the overview KPIs of document 01, for one campaign)

const LATEST_DOCUMENT = `# The latest numbers of one campaign (document 01's fields, for one campaign).
query LatestSnapshot($id: ID!) {
  campaign(id: $id) {
    id
    name
    latestSnapshot {
      snapshotDate
      volunteers { current target utilization }
      beneficiaries { current target utilization }
      sessions { current target utilization }
      budget { allocated spent remaining utilization }
      impact { sroiScore averageVisScore totalHoursLogged totalSessionsCompleted }
    }
  }
}
`;

function latestQuestion(): Question {
  const capacity = (row: Row, prefix: string) => ({
    current: num(row[`${prefix}_current`]),
    target: num(row[`${prefix}_target`]),
    utilization: num(row[`${prefix}_utilization`]),
  });
  return {
    key: 'latest',
    label: 'latest snapshot, one campaign',
    targetP95Ms: 5,
    perCampaign: true,
    document: LATEST_DOCUMENT,
    variables: (id) => ({ id }),
    sql: (db, id) => db`
      SELECT c.id, c.name, s.*
      FROM campaigns c
      LEFT JOIN LATERAL (
        SELECT snapshot_date,
               volunteers_current, volunteers_target, volunteers_utilization,
               beneficiaries_current, beneficiaries_target, beneficiaries_utilization,
               sessions_current, sessions_target, sessions_utilization,
               budget_allocated, budget_spent, budget_remaining, budget_utilization,
               sroi_score, average_vis_score, total_hours_logged, total_sessions_completed
        FROM campaign_metrics_snapshots x
        WHERE x.campaign_id = c.id
        ORDER BY x.snapshot_date DESC
        LIMIT 1
      ) s ON true
      WHERE c.id = ${id}::uuid`,
    fromSql: (raw) => {
      const [row] = raw as Rows;
      if (!row) return { campaign: null };
      return {
        campaign: {
          id: row.id,
          name: row.name,
          latestSnapshot:
            row.snapshot_date === null
              ? null
              : {
                  snapshotDate: iso(row.snapshot_date),
                  volunteers: capacity(row, 'volunteers'),
                  beneficiaries: capacity(row, 'beneficiaries'),
                  sessions: capacity(row, 'sessions'),
                  budget: {
                    allocated: text(row.budget_allocated),
                    spent: text(row.budget_spent),
                    remaining: text(row.budget_remaining),
                    utilization: num(row.budget_utilization),
                  },
                  impact: {
                    sroiScore: num(row.sroi_score),
                    averageVisScore: num(row.average_vis_score),
                    totalHoursLogged: num(row.total_hours_logged),
                    totalSessionsCompleted: num(row.total_sessions_completed),
                  },
                },
        },
      };
    },
    fromGateway: (data) => data,
  };
}

// ---------------------------------------------------------------------------------------
// Daily series (document 04: four capacity metrics, LAST per local day, gaps carried forward)

const SERIES_METRICS = [
  'volunteers_current',
  'beneficiaries_current',
  'volunteers_target',
  'beneficiaries_target',
] as const;

function seriesQuestion(days: 30 | 90, from: Date, to: Date, targetP95Ms: number): Question {
  return {
    key: `series-${days}d`,
    label: `${days}-day daily series, one campaign`,
    targetP95Ms,
    perCampaign: true,
    document: readDocument('04-capacity-trend.graphql'),
    variables: (id) => ({ id, from: from.toISOString(), to: to.toISOString(), granularity: 'DAY' }),
    // Every local day that overlaps [from, to) (an hourly walk plus the last instant hits each
    // of them, as days last at least 23 hours), the LAST snapshot of each day (DISTINCT ON
    // over the (campaign_id, snapshot_date) index range), and empty days carrying the last
    // non-empty day forward (runs of days counted from each day with data).
    sql: (db, id) => db`
      WITH c AS (SELECT id, time_zone FROM campaigns WHERE id = ${id}::uuid),
      days AS (
        SELECT DISTINCT date_trunc('day', g.at, c.time_zone) AS day
        FROM c, (
          SELECT generate_series(${from.toISOString()}::timestamptz,
                                 ${to.toISOString()}::timestamptz - interval '1 hour',
                                 interval '1 hour') AS at
          UNION ALL SELECT ${to.toISOString()}::timestamptz - interval '1 microsecond'
        ) g
      ),
      last_per_day AS (
        SELECT DISTINCT ON (1) date_trunc('day', s.snapshot_date, c.time_zone) AS day,
               s.volunteers_current, s.beneficiaries_current, s.volunteers_target, s.beneficiaries_target
        FROM c JOIN campaign_metrics_snapshots s ON s.campaign_id = c.id
        WHERE s.snapshot_date >= ${from.toISOString()}::timestamptz
          AND s.snapshot_date < ${to.toISOString()}::timestamptz
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
  };
}

// ---------------------------------------------------------------------------------------
// Year over year (document 13: BUDGET_SPENT, LAST per ISO week, this year beside the last)

function yearOverYearQuestion(year: number): Question {
  // Wide enough for every ISO week of both years in any zone; weeks are then picked by label.
  const from = new Date(Date.UTC(year - 1, 0, 1) - 7 * DAY_MS).toISOString();
  const to = new Date(Date.UTC(year + 1, 0, 1) + 7 * DAY_MS).toISOString();
  return {
    key: 'year-over-year',
    label: 'year over year (ISO weeks), one campaign',
    targetP95Ms: 20,
    perCampaign: true,
    document: readDocument('13-year-over-year.graphql'),
    variables: (id) => ({ id, year }),
    // One scan of both years: LAST per local ISO week (DISTINCT ON), labelled by ISO year and
    // week of the week's local start; the two yearly bucket sets joined by week number over
    // the weeks of the year asked for (December 28 lies in its last ISO week).
    sql: (db, id) => db`
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
  };
}

// ---------------------------------------------------------------------------------------
// Capacity alerts over every campaign (document 08: first 20 at threshold 0.8)

function capacityAlertsQuestion(threshold: number, first: number): Question {
  const statement = ALERTS_SQL(first + 1);
  return {
    key: 'capacity-alerts',
    label: 'capacity alerts, all campaigns',
    targetP95Ms: 30,
    perCampaign: false,
    document: readDocument('08-capacity-alerts-widget.graphql'),
    variables: () => ({ threshold, first }),
    sql: (db) => db.unsafe(statement, [threshold], { prepare: true }),
    fromSql: (raw) => {
      const rows = raw as Rows;
      return {
        capacityAlerts: {
          totalCount: num(rows[0]?.total_count) ?? 0,
          hasNextPage: rows.length > first,
          nodes: rows.slice(0, first).map((row) => ({
            campaign: { id: row.id, name: row.name },
            resource: row.resource,
            utilization: num(row.utilization),
            threshold,
            severity: row.severity,
            message: row.message,
            snapshotDate: iso(row.snapshot_date),
          })),
        },
      };
    },
    // the opaque cursor has no SQL counterpart; everything else is compared
    fromGateway: (data) => {
      const connection = data.capacityAlerts as {
        totalCount: number;
        pageInfo: { hasNextPage: boolean };
        edges: { node: unknown }[];
      };
      return {
        capacityAlerts: {
          totalCount: connection.totalCount,
          hasNextPage: connection.pageInfo.hasNextPage,
          nodes: connection.edges.map((edge) => edge.node),
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------
// The floor: what HTTP + GraphQL cost with no field resolved, beside one SQL round trip

function floorQuestion(): Question {
  return {
    key: 'floor',
    label: 'floor: { __typename } vs SELECT 1',
    targetP95Ms: null,
    perCampaign: false,
    document: 'query Floor { __typename }',
    variables: () => ({}),
    sql: (db) => db`SELECT 1 AS one`,
  };
}

export function createQuestions(window: BenchWindow): Question[] {
  return [
    floorQuestion(),
    latestQuestion(),
    seriesQuestion(30, window.from30, window.end, 10),
    seriesQuestion(90, window.from90, window.end, 15),
    capacityAlertsQuestion(0.8, 20),
    yearOverYearQuestion(window.year),
    dashboardQuestion(window, 50),
  ];
}
