import type { Sql } from 'postgres';
import {
  ALERTS_SQL,
  type BenchWindow,
  iso,
  num,
  type Question,
  readDocument,
  text,
  unpivotedResources,
} from './common.js';

/**
 * The 50-campaign dashboard page (document 00) as hand-written SQL: the page and the global
 * alerts first, then five statements over the page's campaigns in parallel (latest snapshot
 * with its alerts, cadence and burn; both daily series; the forecast regression; the heatmap
 * per weekday; the monthly year-over-year buckets). Only what SQL cannot say is done here:
 * the forecast's prediction band needs a Student t quantile (a table below) and the answer
 * is laid out as the document's JSON.
 */

type Row = Record<string, unknown>;
type Rows = readonly Row[];

const DAY_MS = 86_400_000;
const THRESHOLD = 0.8;
const FORECAST_HORIZON = 14;
const FORECAST_LOOKBACK = 30;
const ALERTS_FIRST = 10;

/** scipy.stats.t.ppf(0.975, df) for df = 1..60. */
const T_975 = [
  12.706204736174694, 4.302652729749462, 3.1824463052837078, 2.7764451051977934, 2.5705818356363146,
  2.4469118511449786, 2.364624251592784, 2.306004135204166, 2.262157162798205, 2.228138851986274,
  2.200985160091639, 2.1788128296672284, 2.1603686564627913, 2.144786687917804, 2.131449545559776,
  2.1199052992212546, 2.1098155778333156, 2.1009220402410382, 2.0930240544083087, 2.085963447265864,
  2.0796138447276795, 2.0738730679040254, 2.0686576104190486, 2.0638985616280245, 2.0595385527532972,
  2.0555294386428735, 2.0518305164802846, 2.0484071417952454, 2.045229642132703, 2.0422724563012378,
  2.039513446396408, 2.0369333434601016, 2.0345152974493383, 2.0322445093177186, 2.030107928250343,
  2.0280940009804502, 2.0261924630291093, 2.0243941639119694, 2.022690920036761, 2.021075390306273,
  2.019540970441376, 2.0180817028184443, 2.016692199227824, 2.0153675744437636, 2.014103388880846,
  2.012895598919429, 2.0117405137297655, 2.010634757624232, 2.0095752371292392, 2.008559112100761,
  2.007583770315836, 2.006646805061688, 2.0057459953178687, 2.0048792881880564, 2.0040447832891455,
  2.003240718847872, 2.002465459291007, 2.0017174841452356, 2.000995378088267, 2.0002978220142604,
];

const uuidArray = (ids: readonly string[]) => `{${ids.join(',')}}`;
const textArray = (values: readonly string[]) => `{${values.map((v) => `"${v}"`).join(',')}}`;

interface PageCampaign {
  id: string;
  name: string;
  status: string;
  endsAt: Date | null;
  timeZone: string;
}

export interface DashboardRaw {
  page: Rows;
  alerts: Rows;
  facts: Rows;
  series: Rows;
  forecast: Rows;
  heatmap: Rows;
  yearOverYear: Rows;
}

/** Latest snapshot with its alerts, the cadence and the budget burn of each campaign. */
function factsStatement(db: Sql, page: readonly PageCampaign[]) {
  const ids = uuidArray(page.map((c) => c.id));
  const statuses = textArray(page.map((c) => c.status));
  const endsAt = `{${page.map((c) => (c.endsAt ? `"${c.endsAt.toISOString()}"` : 'NULL')).join(',')}}`;
  return db.unsafe(
    `
    WITH k AS (
      SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) WITH ORDINALITY
               AS k(id, status, ends_at, ord)
    ),
    facts AS (
      SELECT k.ord, k.status, k.ends_at, l.*,
             l.total_sessions_completed - coalesce(w.total_sessions_completed, f.total_sessions_completed)
               AS sessions_last_week,
             coalesce(b.snapshot_date, f.snapshot_date) AS base_at,
             coalesce(b.budget_spent, f.budget_spent) AS base_spent,
             (SELECT coalesce(json_agg(json_build_object(
                        'resource', r.resource, 'utilization', r.utilization,
                        'severity', CASE WHEN r.utilization >= 1 THEN 'CRITICAL' ELSE 'WARNING' END)
                      ORDER BY r.utilization DESC, r.ordinal), '[]')
              FROM (VALUES
                ${unpivotedResources('l')}
              ) r(ordinal, resource, label, capacity_label, used, capacity, utilization)
              WHERE r.utilization >= ${THRESHOLD}::float8) AS alerts
      FROM k
      LEFT JOIN campaign_latest_snapshots l ON l.campaign_id = k.id
      LEFT JOIN LATERAL (
        SELECT total_sessions_completed FROM campaign_metrics_snapshots x
        WHERE x.campaign_id = k.id AND x.snapshot_date <= l.snapshot_date - interval '168 hours'
        ORDER BY x.snapshot_date DESC LIMIT 1
      ) w ON true
      LEFT JOIN LATERAL (
        SELECT snapshot_date, budget_spent FROM campaign_metrics_snapshots x
        WHERE x.campaign_id = k.id AND x.snapshot_date <= l.snapshot_date - interval '336 hours'
        ORDER BY x.snapshot_date DESC LIMIT 1
      ) b ON true
      LEFT JOIN LATERAL (
        SELECT snapshot_date, budget_spent, total_sessions_completed FROM campaign_metrics_snapshots x
        WHERE x.campaign_id = k.id ORDER BY x.snapshot_date ASC LIMIT 1
      ) f ON true
    ),
    burn AS (
      SELECT facts.*,
             extract(epoch FROM snapshot_date - base_at) * 1000 AS elapsed_ms,
             (budget_spent - base_spent) * 100 AS burned_cents,
             greatest(0, extract(epoch FROM ends_at - snapshot_date) * 1000) AS to_end_ms
      FROM facts
    ),
    projected AS (
      SELECT burn.*,
             CASE WHEN elapsed_ms > 0 AND ends_at IS NOT NULL
                  THEN budget_spent * 100 + round(burned_cents * to_end_ms / elapsed_ms) END AS projected_cents,
             CASE WHEN elapsed_ms > 0 AND burned_cents > 0
                  THEN extract(epoch FROM snapshot_date) * 1000
                       + round(budget_remaining * 100 * elapsed_ms / burned_cents) END AS exhaustion_ms
      FROM burn
    )
    SELECT ord, snapshot_date,
           volunteers_current, volunteers_target, volunteers_utilization,
           beneficiaries_current, beneficiaries_target, beneficiaries_utilization,
           budget_allocated, budget_spent, budget_remaining, budget_utilization,
           full_snapshot -> 'engagement' AS engagement, full_snapshot -> 'outcomeScores' AS outcome_scores,
           alerts,
           CASE WHEN status IN ('COMPLETED', 'ARCHIVED') THEN 'FINAL_ONLY'
                WHEN status = 'ACTIVE' THEN
                  CASE WHEN sessions_last_week IS NULL OR sessions_last_week < 25 THEN 'DAILY'
                       WHEN sessions_last_week > 100 THEN 'HOURLY'
                       ELSE 'EVERY_6_HOURS' END
                ELSE 'DAILY' END AS cadence,
           CASE WHEN elapsed_ms > 0 THEN (burned_cents::float8 * ${DAY_MS}) / (100 * elapsed_ms::float8)
                ELSE 0 END AS daily_burn_rate,
           (projected_cents / 100)::numeric(20, 2)::text AS projected_spend_at_end,
           CASE WHEN projected_cents IS NULL THEN 'UNKNOWN'
                WHEN exhaustion_ms <= 253402300799999
                     AND exhaustion_ms < extract(epoch FROM ends_at) * 1000 THEN 'OVERSPENDING'
                WHEN projected_cents * 10 < budget_allocated * 100 * 8 THEN 'UNDERSPENDING'
                ELSE 'ON_TRACK' END AS burn_status
    FROM projected
    ORDER BY ord`,
    [ids, statuses, endsAt],
    { prepare: true },
  );
}

/** Both daily series (AVG scores, LAST capacity) over [from, to) in each campaign's zone. */
function seriesStatement(db: Sql, ids: string, zones: string, window: BenchWindow) {
  return db`
    SELECT k.ord, b.*
    FROM unnest(${ids}::uuid[], ${zones}::text[]) WITH ORDINALITY AS k(id, time_zone, ord)
    CROSS JOIN LATERAL (
      SELECT date_trunc('day', s.snapshot_date, k.time_zone) AS day,
             avg(s.sroi_score)::float8 AS sroi_score,
             avg(s.average_vis_score)::float8 AS average_vis_score,
             (array_agg(s.volunteers_current ORDER BY s.snapshot_date DESC))[1] AS volunteers_current,
             (array_agg(s.beneficiaries_current ORDER BY s.snapshot_date DESC))[1] AS beneficiaries_current
      FROM campaign_metrics_snapshots s
      WHERE s.campaign_id = k.id
        AND s.snapshot_date >= ${window.from30.toISOString()}::timestamptz
        AND s.snapshot_date < ${window.end.toISOString()}::timestamptz
      GROUP BY 1
    ) b
    ORDER BY k.ord, b.day`;
}

/** OLS of VOLUNTEERS_CURRENT's LAST per UTC day over the 30 days up to the latest snapshot. */
function forecastStatement(db: Sql, ids: string) {
  return db`
    SELECT k.ord, latest.last_day, r.*
    FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS k(id, ord)
    CROSS JOIN LATERAL (
      SELECT floor(extract(epoch FROM snapshot_date) / 86400)::int AS last_day
      FROM campaign_metrics_snapshots WHERE campaign_id = k.id ORDER BY snapshot_date DESC LIMIT 1
    ) latest
    CROSS JOIN LATERAL (
      SELECT regr_count(d.y, d.x)::int AS n, regr_slope(d.y, d.x) AS slope,
             regr_intercept(d.y, d.x) AS intercept, regr_r2(d.y, d.x) AS r2,
             regr_sxx(d.y, d.x) AS sxx, regr_syy(d.y, d.x) AS syy, regr_sxy(d.y, d.x) AS sxy,
             regr_avgx(d.y, d.x) AS x_mean
      FROM (
        SELECT DISTINCT ON (1) floor(extract(epoch FROM s.snapshot_date) / 86400)::int - latest.last_day AS x,
               s.volunteers_current::float8 AS y
        FROM campaign_metrics_snapshots s
        WHERE s.campaign_id = k.id
          AND s.snapshot_date >= to_timestamp((latest.last_day - ${FORECAST_LOOKBACK - 1}::int) * 86400)
        ORDER BY 1, s.snapshot_date DESC
      ) d
    ) r
    ORDER BY k.ord`;
}

/** Sessions completed per local ISO weekday (increments between consecutive snapshots). */
function heatmapStatement(db: Sql, ids: string, zones: string, window: BenchWindow) {
  const from = window.from30.toISOString();
  const to = window.end.toISOString();
  return db`
    SELECT k.ord, h.day_of_week, h.total::text AS total
    FROM unnest(${ids}::uuid[], ${zones}::text[]) WITH ORDINALITY AS k(id, time_zone, ord)
    CROSS JOIN LATERAL (
      SELECT extract(isodow FROM i.snapshot_date AT TIME ZONE k.time_zone)::int AS day_of_week,
             sum(i.increment) AS total
      FROM (
        SELECT v.snapshot_date, v.value - lag(v.value) OVER (ORDER BY v.snapshot_date) AS increment
        FROM (
          (SELECT snapshot_date, total_sessions_completed AS value FROM campaign_metrics_snapshots
           WHERE campaign_id = k.id AND snapshot_date < ${from}::timestamptz
             AND total_sessions_completed IS NOT NULL
           ORDER BY snapshot_date DESC LIMIT 1)
          UNION ALL
          (SELECT snapshot_date, total_sessions_completed FROM campaign_metrics_snapshots
           WHERE campaign_id = k.id AND snapshot_date >= ${from}::timestamptz
             AND snapshot_date < ${to}::timestamptz AND total_sessions_completed IS NOT NULL)
        ) v
      ) i
      WHERE i.snapshot_date >= ${from}::timestamptz AND i.increment IS NOT NULL
      GROUP BY 1
    ) h`;
}

/** BUDGET_SPENT's LAST per local month of the year and the year before. */
function yearOverYearStatement(db: Sql, ids: string, zones: string, year: number) {
  const from = new Date(Date.UTC(year - 1, 0, 1) - DAY_MS).toISOString();
  const to = new Date(Date.UTC(year + 1, 0, 1) + DAY_MS).toISOString();
  return db`
    SELECT k.ord, extract(year FROM m.month_start AT TIME ZONE k.time_zone)::int AS year,
           extract(month FROM m.month_start AT TIME ZONE k.time_zone)::int AS month, m.value
    FROM unnest(${ids}::uuid[], ${zones}::text[]) WITH ORDINALITY AS k(id, time_zone, ord)
    CROSS JOIN LATERAL (
      SELECT DISTINCT ON (1) date_trunc('month', s.snapshot_date, k.time_zone) AS month_start,
             s.budget_spent AS value
      FROM campaign_metrics_snapshots s
      WHERE s.campaign_id = k.id AND s.snapshot_date >= ${from}::timestamptz
        AND s.snapshot_date < ${to}::timestamptz
      ORDER BY 1, s.snapshot_date DESC
    ) m`;
}

async function dashboardSql(db: Sql, window: BenchWindow, first: number): Promise<DashboardRaw> {
  const [page, alerts] = await Promise.all([
    db`
      SELECT id, name, status, ends_at, time_zone, (SELECT count(*) FROM campaigns)::int AS total_count
      FROM campaigns ORDER BY id LIMIT ${first + 1}`,
    db.unsafe(ALERTS_SQL(ALERTS_FIRST), [THRESHOLD], { prepare: true }),
  ]);
  const campaigns: PageCampaign[] = page.slice(0, first).map((row) => ({
    id: String(row.id),
    name: String(row.name),
    status: String(row.status),
    endsAt: row.ends_at === null ? null : new Date(row.ends_at as string),
    timeZone: String(row.time_zone),
  }));
  const ids = uuidArray(campaigns.map((c) => c.id));
  const zones = textArray(campaigns.map((c) => c.timeZone));
  const [facts, series, forecast, heatmap, yearOverYear] = await Promise.all([
    factsStatement(db, campaigns),
    seriesStatement(db, ids, zones, window),
    forecastStatement(db, ids),
    heatmapStatement(db, ids, zones, window),
    yearOverYearStatement(db, ids, zones, window.year),
  ]);
  return { page, alerts, facts, series, forecast, heatmap, yearOverYear };
}

// ---------------------------------------------------------------------------------------
// Layout as document 00's JSON

const byOrdinal = (rows: Rows) => {
  const grouped = new Map<number, Row[]>();
  for (const row of rows) {
    const ord = Number(row.ord);
    grouped.set(ord, [...(grouped.get(ord) ?? []), row]);
  }
  return (ord: number) => grouped.get(ord) ?? [];
};

function capacity(row: Row, prefix: string) {
  return {
    current: num(row[`${prefix}_current`]),
    target: num(row[`${prefix}_target`]),
    utilization: num(row[`${prefix}_utilization`]),
  };
}

function latestSnapshot(row: Row | undefined) {
  if (!row || row.snapshot_date === null) return null;
  const engagement = row.engagement as Record<string, number> | null;
  const scores = (row.outcome_scores ?? {}) as Record<string, number>;
  return {
    snapshotDate: iso(row.snapshot_date),
    volunteers: capacity(row, 'volunteers'),
    beneficiaries: capacity(row, 'beneficiaries'),
    budget: {
      allocated: text(row.budget_allocated),
      spent: text(row.budget_spent),
      remaining: text(row.budget_remaining),
      utilization: num(row.budget_utilization),
    },
    engagement: engagement
      ? {
          volunteerRetentionRate: engagement.volunteerRetentionRate ?? null,
          volunteerDropoutRate: engagement.volunteerDropoutRate ?? null,
          averageSessionsPerVolunteer: engagement.averageSessionsPerVolunteer ?? null,
        }
      : null,
    outcomeScores: Object.entries(scores)
      .map(([dimension, score]) => ({ dimension, score }))
      .sort((a, b) => (a.dimension < b.dimension ? -1 : a.dimension > b.dimension ? 1 : 0)),
  };
}

function forecast(row: Row | undefined) {
  const n = num(row?.n) ?? 0;
  const slope = num(row?.slope);
  const intercept = num(row?.intercept);
  const sxx = num(row?.sxx) ?? 0;
  if (!row || n < 2 || slope === null || intercept === null || sxx === 0) return null;
  const sxy = num(row.sxy) ?? 0;
  const syy = num(row.syy) ?? 0;
  const xMean = num(row.x_mean) ?? 0;
  const sse = Math.max(0, syy - (sxy * sxy) / sxx);
  const s = n > 2 ? Math.sqrt(sse / (n - 2)) : 0;
  const t = n > 2 && s > 0 ? T_975[n - 3] : undefined;
  if (n > 2 && s > 0 && t === undefined) throw new Error(`no t quantile for ${n - 2} degrees of freedom`);
  const origin = Number(row.last_day) * DAY_MS;
  return {
    slopePerDay: slope,
    r2: num(row.r2),
    points: Array.from({ length: FORECAST_HORIZON }, (_, i) => {
      const x = i + 1;
      const value = intercept + slope * x;
      const half = t === undefined ? 0 : t * s * Math.sqrt(1 + 1 / n + (x - xMean) ** 2 / sxx);
      return {
        date: new Date(origin + x * DAY_MS).toISOString(),
        value,
        lower: value - half,
        upper: value + half,
      };
    }),
  };
}

function yearOverYear(rows: Rows, year: number) {
  const value = (y: number, month: number) => {
    const row = rows.find((r) => Number(r.year) === y && Number(r.month) === month);
    return row ? Number(row.value) : null;
  };
  const periods = Array.from({ length: 12 }, (_, i) => i + 1);
  const current = periods.map((month) => value(year, month));
  const previous = periods.map((month) => value(year - 1, month));
  return {
    periods,
    current,
    previous,
    change: current.map((c, i) => {
      const p = previous[i] ?? null;
      return c === null || p === null || p === 0 ? null : (c - p) / p;
    }),
  };
}

function layOut(raw: DashboardRaw, window: BenchWindow, first: number) {
  const facts = byOrdinal(raw.facts);
  const series = byOrdinal(raw.series);
  const forecasts = byOrdinal(raw.forecast);
  const heatmaps = byOrdinal(raw.heatmap);
  const years = byOrdinal(raw.yearOverYear);
  return {
    campaigns: {
      totalCount: num(raw.page[0]?.total_count) ?? 0,
      edges: raw.page.slice(0, first).map((campaign, i) => {
        const ord = i + 1;
        const [fact] = facts(ord);
        const days = series(ord);
        const byDay = [0, 0, 0, 0, 0, 0, 0];
        for (const row of heatmaps(ord)) byDay[Number(row.day_of_week) - 1] = Number(row.total);
        return {
          node: {
            id: campaign.id,
            name: campaign.name,
            status: campaign.status,
            snapshotCadence: fact?.cadence,
            latestSnapshot: latestSnapshot(fact),
            capacityAlerts: fact?.alerts ?? [],
            budgetBurn:
              fact && fact.snapshot_date !== null
                ? {
                    dailyBurnRate: num(fact.daily_burn_rate),
                    projectedSpendAtEnd: text(fact.projected_spend_at_end),
                    status: fact.burn_status,
                  }
                : null,
            forecast: forecast(forecasts(ord)[0]),
            impact: {
              timestamps: days.map((row) => iso(row.day)),
              columns: ['sroi_score', 'average_vis_score'].map((column) => ({
                metric: column.toUpperCase(),
                values: days.map((row) => num(row[column])),
              })),
            },
            capacity: {
              timestamps: days.map((row) => iso(row.day)),
              columns: ['volunteers_current', 'beneficiaries_current'].map((column) => ({
                metric: column.toUpperCase(),
                values: days.map((row) => num(row[column])),
              })),
            },
            activityHeatmap: { byDayOfWeek: byDay },
            yearOverYear: yearOverYear(years(ord), window.year),
          },
        };
      }),
    },
    capacityAlerts: {
      totalCount: num(raw.alerts[0]?.total_count) ?? 0,
      edges: raw.alerts.map((row) => ({
        node: { campaign: { id: row.id }, resource: row.resource, severity: row.severity },
      })),
    },
  };
}

export function dashboardQuestion(window: BenchWindow, first: number): Question {
  return {
    key: 'dashboard',
    label: `dashboard page, ${first} campaigns`,
    document: readDocument('00-dashboard-page.graphql'),
    turns: () => [
      {
        label: 'the first page',
        variables: {
          first,
          from: window.from30.toISOString(),
          to: window.end.toISOString(),
          year: window.year,
        },
        sql: (db) => dashboardSql(db, window, first),
      },
    ],
    fromSql: (raw) => layOut(raw as DashboardRaw, window, first),
    fromGateway: (data) => data,
    postgraphile: {
      unsupported:
        'the page combines alerts, budget burn, a forecast, LAST series and year over year; see those rows',
    },
  };
}
