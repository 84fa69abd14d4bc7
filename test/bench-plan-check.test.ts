import { describe, expect, it } from 'vitest';
import { checkSnapshotScans, describePlanCheck } from '../bench/plans.js';

/**
 * The bench's plan check (bench/plans.ts) on small EXPLAIN (ANALYZE, BUFFERS) excerpts, written
 * in PostgreSQL's text format after the bench's own explain files.
 */

const RANGE_BOUNDED = `
Append  (cost=4.50..557.74 rows=147 width=15) (actual time=0.021..0.091 rows=140 loops=1)
  ->  Bitmap Heap Scan on campaign_metrics_snapshots_2025_11 l_1  (cost=4.50..67.24 rows=17 width=15) (actual time=0.021..0.025 rows=16 loops=1)
        Recheck Cond: ((campaign_id = k.campaign_id) AND (snapshot_date >= '2024-12-29 00:00:00+00'::timestamp with time zone))
        Heap Blocks: exact=1
        Buffers: shared hit=3
        ->  Bitmap Index Scan on campaign_metrics_snapshots_2025_11_pkey  (cost=0.00..4.50 rows=17 width=0) (actual time=0.010..0.011 rows=16 loops=1)
              Index Cond: ((campaign_id = k.campaign_id) AND (snapshot_date >= '2024-12-29 00:00:00+00'::timestamp with time zone))
              Buffers: shared hit=2
  ->  Index Scan using campaign_metrics_snapshots_2025_12_pkey on campaign_metrics_snapshots_2025_12 l_2  (cost=0.42..8.44 rows=124 width=15) (actual time=0.012..0.040 rows=124 loops=1)
        Index Cond: ((campaign_id = k.campaign_id) AND (snapshot_date < '2027-01-05 00:00:00+00'::timestamp with time zone))
        Buffers: shared hit=4`;

const NEWEST_ROW_PROBES = `
Limit  (cost=0.42..1.05 rows=1 width=120) (actual time=0.030..0.031 rows=1 loops=50)
  ->  Append  (cost=0.42..114.91 rows=182 width=120) (actual time=0.029..0.030 rows=1 loops=50)
        ->  Index Scan Backward using campaign_metrics_snapshots_2026_11_pkey on campaign_metrics_snapshots_2026_11 x_1  (cost=0.42..8.44 rows=1 width=120) (actual time=0.028..0.028 rows=1 loops=50)
              Index Cond: (campaign_id = c.id)
              Buffers: shared hit=200
        ->  Index Scan Backward using campaign_metrics_snapshots_2026_10_pkey on campaign_metrics_snapshots_2026_10 x_2  (cost=0.42..8.44 rows=124 width=120) (never executed)
              Index Cond: (campaign_id = c.id)`;

const EMPTY_MONTH_AHEAD = `
  ->  Seq Scan on campaign_metrics_snapshots_2027_01 l_15  (cost=0.00..0.00 rows=1 width=24) (actual time=0.003..0.003 rows=0 loops=1)
        Filter: ((snapshot_date >= '2024-12-29 00:00:00+00'::timestamp with time zone) AND (campaign_id = k.campaign_id))`;

const SEQ_SCAN_WITH_DATA = `
  ->  Seq Scan on campaign_metrics_snapshots_2026_03 s  (cost=0.00..2831.00 rows=120 width=24) (actual time=0.010..9.870 rows=124 loops=1)
        Filter: (campaign_id = '02afe712-1886-4e76-a0d1-d286cbe150c7'::uuid)
        Rows Removed by Filter: 99876
        Buffers: shared hit=1581`;

const WHOLE_HISTORY = `
  ->  Index Scan using campaign_metrics_snapshots_2026_03_pkey on campaign_metrics_snapshots_2026_03 s  (cost=0.42..180.10 rows=124 width=24) (actual time=0.012..0.140 rows=124 loops=1)
        Index Cond: (campaign_id = k.campaign_id)
        Buffers: shared hit=6`;

const OTHER_TABLE_SEQ_SCAN = `
  ->  Seq Scan on campaigns c  (cost=0.00..21.10 rows=1010 width=16) (actual time=0.005..0.120 rows=1010 loops=1)
        Buffers: shared hit=11`;

const DAYS_BOUNDED = `
  ->  Index Scan using campaign_metrics_daily_pkey on campaign_metrics_daily d  (cost=0.43..314.93 rows=79 width=42) (actual time=0.042..0.375 rows=359 loops=1)
        Index Cond: ((campaign_id = c.id) AND (time_zone = 'America/New_York'::text) AND (day_start >= '2025-12-01 05:00:00+00'::timestamp with time zone))
        Buffers: shared hit=40`;

const DAYS_UNBOUNDED = `
  ->  Index Scan using campaign_metrics_daily_pkey on campaign_metrics_daily d  (cost=0.43..314.93 rows=79 width=42) (actual time=0.042..0.375 rows=730 loops=1)
        Index Cond: ((campaign_id = c.id) AND (time_zone = 'America/New_York'::text))
        Buffers: shared hit=80`;

const DAYS_SEQ_SCAN = `
  ->  Seq Scan on campaign_metrics_daily d  (cost=0.00..0.00 rows=1 width=24) (actual time=0.003..0.003 rows=0 loops=1)
        Filter: (campaign_id = k.campaign_id)`;

const WEEKS_BOUNDED = `
  ->  Index Scan using campaign_metrics_weekly_pkey on campaign_metrics_weekly w  (cost=0.42..60.10 rows=52 width=42) (actual time=0.015..0.029 rows=52 loops=1)
        Index Cond: ((campaign_id = c.id) AND (time_zone = 'America/New_York'::text) AND (week_start >= '2025-12-01 05:00:00+00'::timestamp with time zone))
        Buffers: shared hit=9`;

const WEEKS_UNBOUNDED = `
  ->  Index Scan using campaign_metrics_weekly_pkey on campaign_metrics_weekly w  (cost=0.42..60.10 rows=104 width=42) (actual time=0.015..0.029 rows=104 loops=1)
        Index Cond: ((campaign_id = c.id) AND (time_zone = 'America/New_York'::text))
        Buffers: shared hit=12`;

describe('the bench plan check', () => {
  it('checks scans of the pre-aggregated weeks by week_start', () => {
    expect(checkSnapshotScans([WEEKS_BOUNDED])).toMatchObject({ ok: true, rangeBounded: 1, problems: [] });
    expect(checkSnapshotScans([WEEKS_UNBOUNDED]).problems).toEqual([
      'Index Scan on campaign_metrics_weekly without a week_start bound (104 rows per loop)',
    ]);
  });

  it('checks scans of the pre-aggregated days by day_start, and never counts them as empty months', () => {
    expect(checkSnapshotScans([DAYS_BOUNDED])).toMatchObject({ ok: true, rangeBounded: 1, problems: [] });
    expect(checkSnapshotScans([DAYS_UNBOUNDED, DAYS_SEQ_SCAN]).problems).toEqual([
      'Index Scan on campaign_metrics_daily without a day_start bound (730 rows per loop)',
      'Seq Scan on campaign_metrics_daily',
    ]);
  });

  it('passes index and bitmap scans bounded by snapshot_date, and counts them', () => {
    const check = checkSnapshotScans([RANGE_BOUNDED]);
    expect(check).toMatchObject({ ok: true, rangeBounded: 2, newestRowProbes: 0, problems: [] });
    expect(describePlanCheck(check)).toBe('index scans only (2 range-bounded)');
  });

  it('passes newest-row probes (one row per loop) and counts pruned partitions as not executed', () => {
    const check = checkSnapshotScans([NEWEST_ROW_PROBES]);
    expect(check).toMatchObject({ ok: true, newestRowProbes: 1, notExecuted: 1, rangeBounded: 0 });
  });

  it('counts a Seq Scan of an empty month apart, and ignores scans of other tables', () => {
    const check = checkSnapshotScans([EMPTY_MONTH_AHEAD, OTHER_TABLE_SEQ_SCAN]);
    expect(check).toMatchObject({ ok: true, emptyPartitionScans: 1, problems: [] });
    expect(describePlanCheck(check)).toBe('index scans only (1 seq scan(s) of empty partitions)');
  });

  it('fails a Seq Scan of a month with data', () => {
    const check = checkSnapshotScans([RANGE_BOUNDED, SEQ_SCAN_WITH_DATA]);
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual(['Seq Scan on campaign_metrics_snapshots_2026_03']);
    expect(describePlanCheck(check)).toMatch(/^\*\*Seq Scan on campaign_metrics_snapshots_2026_03\*\*/);
  });

  it("fails an index scan that returns a campaign's whole month without a snapshot_date bound", () => {
    const check = checkSnapshotScans([WHOLE_HISTORY]);
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual([
      'Index Scan on campaign_metrics_snapshots_2026_03 without a snapshot_date bound (124 rows per loop)',
    ]);
  });

  it('reports a plan without any snapshot scan as such', () => {
    expect(describePlanCheck(checkSnapshotScans([OTHER_TABLE_SEQ_SCAN]))).toBe('no snapshot scan');
  });
});
