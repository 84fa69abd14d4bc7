/**
 * The automatic plan check of the bench report: in the EXPLAIN (ANALYZE) output of every hot
 * statement, each scan of campaign_metrics_snapshots (or of one of its monthly partitions,
 * matched by the parent's name) and of the pre-aggregated days and weeks
 * (campaign_metrics_daily, campaign_metrics_weekly) must be an index scan, index-only scan or
 * bitmap scan bounded by the range asked:
 * - range-bounded: its Index Cond (Recheck Cond for a bitmap scan) constrains snapshot_date
 *   (day_start for the days, week_start for the weeks);
 * - a newest-row probe: no snapshot_date condition, but at most 2 rows per loop come out (an
 *   `ORDER BY snapshot_date DESC LIMIT 1` walk of one campaign's index range);
 * - not executed (a partition the executor pruned at run time, or a branch never reached).
 * A Seq Scan, or an index scan that returns a campaign's whole history, fails the check, but
 * for one case counted apart: a Seq Scan of an empty partition (no rows, no buffers), which
 * the planner prefers for a table of 0 pages (the months created ahead of the data) when the
 * statement's range cannot prune them at planning time.
 */

const SNAPSHOT_RELATION = /^campaign_metrics_snapshots(?:_[a-z0-9_]+)?$/;
const PRE_AGGREGATE_RANGE_COLUMNS: Record<string, string> = {
  campaign_metrics_daily: 'day_start',
  campaign_metrics_weekly: 'week_start',
};
/** The column a range bounds in a scan of `relation`, or null for a relation not checked. */
const rangeColumnOf = (relation: string): string | null =>
  SNAPSHOT_RELATION.test(relation) ? 'snapshot_date' : (PRE_AGGREGATE_RANGE_COLUMNS[relation] ?? null);
// Bitmap Index Scan names the index only; its Bitmap Heap Scan parent carries the relation
const SCAN_NODE =
  /(?:^|-> +)(Parallel )?(Seq Scan|Index Only Scan(?: Backward)?|Index Scan(?: Backward)?|Bitmap Heap Scan|Tid Scan|Sample Scan)(?: using \S+)? on (\S+)/;
const ACTUAL_ROWS = /actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)/;

export interface PlanCheck {
  ok: boolean;
  rangeBounded: number;
  newestRowProbes: number;
  notExecuted: number;
  emptyPartitionScans: number;
  /** What failed: "Seq Scan on ...", "Index Scan on ... without a snapshot_date bound (2920 rows)". */
  problems: string[];
}

/** Checks the snapshot-table scans of some EXPLAIN (ANALYZE) plans (text format). */
export function checkSnapshotScans(plans: readonly string[]): PlanCheck {
  const result: PlanCheck = {
    ok: true,
    rangeBounded: 0,
    newestRowProbes: 0,
    notExecuted: 0,
    emptyPartitionScans: 0,
    problems: [],
  };
  for (const plan of plans) {
    const lines = plan.split('\n');
    lines.forEach((line, index) => {
      const node = SCAN_NODE.exec(line);
      const relation = node?.[3] ?? '';
      const rangeColumn = rangeColumnOf(relation);
      if (!node || !rangeColumn) return;
      const kind = `${node[1] ?? ''}${node[2]}`;
      if (line.includes('(never executed)')) {
        result.notExecuted++;
        return;
      }
      const rows = Number(ACTUAL_ROWS.exec(line)?.[1] ?? Number.NaN);
      // the node's own detail lines: indented deeper than the node, until the next node
      const indent = line.search(/\S/);
      const details: string[] = [];
      for (const next of lines.slice(index + 1)) {
        if (next.includes('->') || next.search(/\S/) <= indent) break;
        details.push(next);
      }
      if (kind.includes('Seq Scan') || kind === 'Tid Scan' || kind === 'Sample Scan') {
        const readNothing = !details.some((detail) => /Buffers: .*(hit|read)=/.test(detail));
        const partition = rangeColumn === 'snapshot_date' && relation !== 'campaign_metrics_snapshots';
        if (partition && rows === 0 && readNothing) result.emptyPartitionScans++;
        else result.problems.push(`${kind} on ${relation}`);
        return;
      }
      const condition = details.find((detail) => /(Index|Recheck) Cond:/.test(detail)) ?? '';
      if (condition.includes(rangeColumn)) {
        result.rangeBounded++;
        return;
      }
      if (rows <= 2) {
        result.newestRowProbes++;
        return;
      }
      result.problems.push(`${kind} on ${relation} without a ${rangeColumn} bound (${rows} rows per loop)`);
    });
  }
  result.ok = result.problems.length === 0;
  return result;
}

export function describePlanCheck(check: PlanCheck): string {
  const scans =
    check.rangeBounded +
    check.newestRowProbes +
    check.notExecuted +
    check.emptyPartitionScans +
    check.problems.length;
  if (scans === 0) return 'no snapshot scan';
  const parts = [
    check.rangeBounded ? `${check.rangeBounded} range-bounded` : '',
    check.newestRowProbes ? `${check.newestRowProbes} newest-row probe(s)` : '',
    check.notExecuted ? `${check.notExecuted} not executed` : '',
    check.emptyPartitionScans ? `${check.emptyPartitionScans} seq scan(s) of empty partitions` : '',
  ].filter(Boolean);
  if (check.ok) return `index scans only (${parts.join(', ')})`;
  const shown = [...new Set(check.problems)];
  return `**${shown.slice(0, 3).join('; ')}${shown.length > 3 ? `; ${shown.length - 3} more` : ''}**${parts.length ? ` (also ${parts.join(', ')})` : ''}`;
}
