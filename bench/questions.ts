import type { Sql } from 'postgres';
import { seriesQuestion, weeksQuestion, yearOverYearQuestion } from './bucket-questions.js';
import {
  ALERTS_SQL,
  type BenchWindow,
  iso,
  num,
  PAGE_SIZE,
  type Question,
  readDocument,
  text,
} from './common.js';
import { dashboardQuestion } from './dashboard.js';

/**
 * The questions `npm run bench` asks, each of up to three sides: a GraphQL document over HTTP
 * to the gateway, hand-written SQL through postgres.js that answers the same question (same
 * campaigns, range, zone, statistic, gap fill and order), and PostGraphile's document where
 * PostGraphile can express it. `fromGateway`, `fromSql` and `postgraphile.canonical` turn the
 * answers into one canonical JSON shape, compared once per question before any timing.
 * Bucket questions are in bucket-questions.ts, the dashboard page in dashboard.ts.
 */

type Row = Record<string, unknown>;
type Rows = readonly Row[];

// ---------------------------------------------------------------------------------------
// The floor: what HTTP + GraphQL cost with no field resolved, beside one SQL round trip

function floorQuestion(): Question {
  return {
    key: 'floor',
    label: 'floor: { __typename } vs SELECT 1',
    document: 'query Floor { __typename }',
    turns: () => [
      { label: 'floor', variables: {}, sql: (db) => db`SELECT 1 AS one`, postgraphile: { variables: {} } },
    ],
    postgraphile: { document: 'query Floor { __typename }', canonical: () => null },
  };
}

// ---------------------------------------------------------------------------------------
// Latest snapshot of a page of 50 campaigns (document 01's fields)

/** Snapshot columns of the latest question, as the SQL names them. */
const LATEST_COLUMNS = [
  'snapshot_date',
  'volunteers_current',
  'volunteers_target',
  'volunteers_utilization',
  'beneficiaries_current',
  'beneficiaries_target',
  'beneficiaries_utilization',
  'sessions_current',
  'sessions_target',
  'sessions_utilization',
  'budget_allocated',
  'budget_spent',
  'budget_remaining',
  'budget_utilization',
  'sroi_score',
  'average_vis_score',
  'total_hours_logged',
  'total_sessions_completed',
] as const;

type LatestColumn = (typeof LATEST_COLUMNS)[number];

const camelCase = (column: string) =>
  column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

const LATEST_FIELDS = `snapshotDate
          volunteers { current target utilization }
          beneficiaries { current target utilization }
          sessions { current target utilization }
          budget { allocated spent remaining utilization }
          impact { sroiScore averageVisScore totalHoursLogged totalSessionsCompleted }`;

const LATEST_DOCUMENT = `# The latest numbers of a page of campaigns (document 01's fields).
query LatestOfPage($first: Int!, $after: String) {
  campaigns(first: $first, after: $after) {
    edges {
      node {
        id
        name
        latestSnapshot {
          ${LATEST_FIELDS}
        }
      }
    }
  }
}
`;

const POSTGRAPHILE_LATEST = `# The newest snapshot of each campaign of the page: its row of campaign_latest_snapshots.
query LatestOfPage($first: Int!, $after: Cursor) {
  allCampaigns(first: $first, after: $after, orderBy: PRIMARY_KEY_ASC) {
    nodes {
      rowId
      name
      campaignLatestSnapshotByCampaignId { ${LATEST_COLUMNS.map(camelCase).join(' ')} }
    }
  }
}
`;

/** The canonical latest snapshot from a row of the latest columns (or null). */
function latestSnapshot(column: (name: LatestColumn) => unknown) {
  const snapshotDate = column('snapshot_date');
  if (snapshotDate === null || snapshotDate === undefined) return null;
  const capacity = (prefix: 'volunteers' | 'beneficiaries' | 'sessions') => ({
    current: num(column(`${prefix}_current`)),
    target: num(column(`${prefix}_target`)),
    utilization: num(column(`${prefix}_utilization`)),
  });
  return {
    snapshotDate: iso(snapshotDate),
    volunteers: capacity('volunteers'),
    beneficiaries: capacity('beneficiaries'),
    sessions: capacity('sessions'),
    budget: {
      allocated: text(column('budget_allocated')),
      spent: text(column('budget_spent')),
      remaining: text(column('budget_remaining')),
      utilization: num(column('budget_utilization')),
    },
    impact: {
      sroiScore: num(column('sroi_score')),
      averageVisScore: num(column('average_vis_score')),
      totalHoursLogged: num(column('total_hours_logged')),
      totalSessionsCompleted: num(column('total_sessions_completed')),
    },
  };
}

function latestOfPage(db: Sql, afterId: string | null) {
  return db`
    SELECT c.id, c.name, s.*
    FROM (
      SELECT id, name FROM campaigns
      ${afterId === null ? db`` : db`WHERE id > ${afterId}::uuid`}
      ORDER BY id LIMIT ${PAGE_SIZE}
    ) c
    LEFT JOIN LATERAL (
      SELECT ${db(LATEST_COLUMNS)} FROM campaign_latest_snapshots x WHERE x.campaign_id = c.id
    ) s ON true
    ORDER BY c.id`;
}

function latestQuestion(): Question {
  return {
    key: 'latest-50',
    label: `latest snapshot of a page of ${PAGE_SIZE} campaigns`,
    document: LATEST_DOCUMENT,
    turns: (rotation) =>
      rotation.pages.map((page, index) => ({
        label: `page ${index + 1}`,
        variables: { first: PAGE_SIZE, after: page.gatewayCursor },
        sql: (db) => latestOfPage(db, page.afterId),
        postgraphile: { variables: { first: PAGE_SIZE, after: page.postgraphileCursor } },
      })),
    fromSql: (raw) =>
      (raw as Rows).map((row) => ({
        id: row.id,
        name: row.name,
        latestSnapshot: latestSnapshot((column) => row[column]),
      })),
    fromGateway: (data) =>
      (data.campaigns as { edges: { node: Row }[] }).edges.map(({ node }) => ({
        ...node,
        latestSnapshot: node.latestSnapshot
          ? { ...(node.latestSnapshot as Row), snapshotDate: iso((node.latestSnapshot as Row).snapshotDate) }
          : null,
      })),
    postgraphile: {
      document: POSTGRAPHILE_LATEST,
      canonical: (data) =>
        (data.allCampaigns as { nodes: Row[] }).nodes.map((node) => {
          const snapshot = node.campaignLatestSnapshotByCampaignId as Row | null;
          return {
            id: node.rowId,
            name: node.name,
            latestSnapshot: snapshot ? latestSnapshot((column) => snapshot[camelCase(column)]) : null,
          };
        }),
    },
  };
}

// ---------------------------------------------------------------------------------------
// Capacity alerts over every campaign (document 08: first 20 at threshold 0.8)

function capacityAlertsQuestion(threshold: number, first: number): Question {
  const statement = ALERTS_SQL(first + 1);
  return {
    key: 'capacity-alerts',
    label: 'capacity alerts, all campaigns',
    document: readDocument('08-capacity-alerts-widget.graphql'),
    turns: () => [
      {
        label: 'all campaigns',
        variables: { threshold, first },
        sql: (db) => db.unsafe(statement, [threshold], { prepare: true }),
      },
    ],
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
    postgraphile: {
      unsupported:
        "needs each campaign's newest snapshot, seven resources unpivoted, filtered by utilization and ordered across campaigns: not expressible without custom SQL (a view or function)",
    },
  };
}

// ---------------------------------------------------------------------------------------
// Comparison of 50 campaigns (document 10: AVG over 30 days, rank, percentile, cohort mean)

const COMPARED_METRICS = [
  ['VOLUNTEERS_UTILIZATION', 'volunteers_utilization'],
  ['BUDGET_UTILIZATION', 'budget_utilization'],
  ['SROI_SCORE', 'sroi_score'],
  ['AVERAGE_VIS_SCORE', 'average_vis_score'],
] as const;

/**
 * Per campaign the plain mean of each metric over [from, to) (numeric, then float8, like the
 * gateway), unpivoted to one row per metric; rank = 1 + values strictly greater, percentile =
 * share of the other members strictly lower (1 for a cohort of one), null values unranked.
 */
const COMPARE_SQL = `
  WITH k AS (SELECT * FROM unnest($1::uuid[]) WITH ORDINALITY AS k(id, ord)),
  means AS (
    SELECT k.ord, c.id, c.name, c.status, a.*
    FROM k JOIN campaigns c ON c.id = k.id
    CROSS JOIN LATERAL (
      SELECT ${COMPARED_METRICS.map(([, column], i) => `avg(s.${column})::float8 AS m${i}`).join(', ')}
      FROM campaign_metrics_snapshots s
      WHERE s.campaign_id = k.id AND s.snapshot_date >= $2::timestamptz AND s.snapshot_date < $3::timestamptz
    ) a
  ),
  metric_values AS (
    SELECT means.ord, means.id, means.name, means.status, m.metric_ord, m.metric, m.value
    FROM means CROSS JOIN LATERAL (VALUES
      ${COMPARED_METRICS.map(([metric], i) => `(${i}, '${metric}', means.m${i})`).join(', ')}
    ) m(metric_ord, metric, value)
  ),
  ranked AS (
    SELECT metric_values.*,
           rank() OVER (PARTITION BY metric_ord, value IS NULL ORDER BY value DESC) AS rank_down,
           rank() OVER (PARTITION BY metric_ord, value IS NULL ORDER BY value ASC) AS rank_up,
           count(value) OVER (PARTITION BY metric_ord) AS cohort,
           avg(value) OVER (PARTITION BY metric_ord) AS cohort_average
    FROM metric_values
  )
  SELECT ord, id, name, status, metric, value, cohort_average,
         CASE WHEN value IS NOT NULL THEN rank_down END AS rank,
         CASE WHEN value IS NULL THEN NULL WHEN cohort = 1 THEN 1::float8
              ELSE (rank_up - 1)::float8 / (cohort - 1)::float8 END AS percentile
  FROM ranked
  ORDER BY ord, metric_ord`;

function compareQuestion(from: Date, to: Date): Question {
  return {
    key: 'compare-50',
    label: `comparison of ${PAGE_SIZE} campaigns, 30-day means`,
    document: readDocument('10-comparison-table.graphql'),
    turns: ({ campaigns }) => {
      const groups = Math.max(1, Math.floor(campaigns.length / PAGE_SIZE));
      return Array.from({ length: groups }, (_, group) => {
        const ids = campaigns.slice(group * PAGE_SIZE, (group + 1) * PAGE_SIZE).map((c) => c.id);
        return {
          label: `campaigns ${group * PAGE_SIZE + 1}-${group * PAGE_SIZE + ids.length} of the rotation`,
          variables: { ids, from: from.toISOString(), to: to.toISOString() },
          sql: (db) =>
            db.unsafe(COMPARE_SQL, [`{${ids.join(',')}}`, from.toISOString(), to.toISOString()], {
              prepare: true,
            }),
        };
      });
    },
    fromSql: (raw) => {
      const rows = raw as Rows;
      const campaigns = new Map<unknown, { campaign: Row; values: Row[] }>();
      for (const row of rows) {
        let entry = campaigns.get(row.ord);
        if (!entry) {
          entry = { campaign: { id: row.id, name: row.name, status: row.status }, values: [] };
          campaigns.set(row.ord, entry);
        }
        entry.values.push({
          metric: row.metric,
          value: num(row.value),
          rank: num(row.rank),
          percentile: num(row.percentile),
          cohortAverage: num(row.cohort_average),
        });
      }
      return { compareCampaigns: [...campaigns.values()] };
    },
    fromGateway: (data) => data,
    postgraphile: {
      unsupported:
        "amber's conditions are equalities (50 ids = 50 aliased aggregates) and ranks, percentiles and cohort means are window functions: the client would compute them",
    },
  };
}

export function createQuestions(window: BenchWindow): Question[] {
  return [
    floorQuestion(),
    latestQuestion(),
    seriesQuestion(30, window.from30, window.end),
    seriesQuestion(90, window.from90, window.end),
    weeksQuestion(window.weeks),
    capacityAlertsQuestion(0.8, 20),
    compareQuestion(window.from30, window.end),
    yearOverYearQuestion(window.year),
    dashboardQuestion(window, PAGE_SIZE),
  ];
}
