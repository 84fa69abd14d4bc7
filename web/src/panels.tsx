import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  ActivityHeatmapDocument,
  type ActivityHeatmapQuery,
  BudgetBurnDocument,
  type BudgetBurnQuery,
  CapacityAlertsLiveDocument,
  CapacityAlertsWidgetDocument,
  type CapacityAlertsWidgetQuery,
  CapacityGaugeDocument,
  type CapacityGaugeQuery,
  CapacityTrendDocument,
  type CapacityTrendQuery,
  ComparisonTableDocument,
  EngagementTableDocument,
  ForecastDocument,
  type ForecastQuery,
  type Granularity,
  ImpactTimeSeriesDocument,
  type ImpactTimeSeriesQuery,
  type Metric,
  OutcomeRadarDocument,
  type OutcomeRadarQuery,
  type OverviewKpisQuery,
} from '../../client/generated/graphql.js';
// The server's resource order (pure data, no I/O): ties in the alert order follow it.
import { CAPACITY_RESOURCES } from '../../src/metrics/capacity-alerts.js';
import { type LiveState, request, useQuery, useSubscription } from './api.js';
import { Chart, type ChartOption } from './chart.js';
import {
  formatDecimal,
  formatInteger,
  formatMoney,
  formatPercent,
  lastValue,
  localDate,
  mean,
  shortDateTime,
  sum,
} from './format.js';
import { Panel, Stat } from './panel.js';

type CampaignNode = OverviewKpisQuery['campaigns']['edges'][number]['node'];

const COLORS = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2'];
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const tooltip = { trigger: 'axis' as const };
const grid = { left: 48, right: 48, top: 36, bottom: 28, containLabel: false };

/** A column of a series answer by metric (null values where absent). */
function column(series: { columns: { metric: Metric; values: (number | null)[] }[] }, metric: Metric) {
  return series.columns.find((entry) => entry.metric === metric)?.values ?? [];
}

const pairs = (timestamps: string[], values: (number | null)[]) =>
  timestamps.map((timestamp, index) => [Date.parse(timestamp), values[index] ?? null]);

// ---------------------------------------------------------------------------------------
// KPI cards

export function KpiCards({
  node,
  loading,
  error,
}: {
  node: CampaignNode | undefined;
  loading: boolean;
  error?: Error;
}) {
  return (
    <Panel id="kpis" title="Overview" subtitle="latest snapshot" query={{ data: node, loading, error }} wide>
      {(campaign) => {
        const latest = campaign.latestSnapshot;
        if (!latest) return <p className="empty">No snapshot yet.</p>;
        return (
          <div className="kpi-grid">
            <Stat
              label="Volunteers"
              value={formatInteger(latest.volunteers.current)}
              testId="kpi-volunteers"
              hint={`of ${formatInteger(latest.volunteers.target)} · ${formatPercent(latest.volunteers.utilization)}`}
            />
            <Stat
              label="Beneficiaries"
              value={formatInteger(latest.beneficiaries.current)}
              testId="kpi-beneficiaries"
              hint={`of ${formatInteger(latest.beneficiaries.target)} · ${formatPercent(latest.beneficiaries.utilization)}`}
            />
            <Stat
              label="Sessions"
              value={formatInteger(latest.sessions.current)}
              testId="kpi-sessions"
              hint={`of ${formatInteger(latest.sessions.target)}`}
            />
            <Stat
              label="Budget spent"
              value={formatMoney(latest.budget.spent)}
              testId="kpi-budget-spent"
              hint={`of ${formatMoney(latest.budget.allocated)} · ${formatPercent(latest.budget.utilization)}`}
            />
            <Stat label="SROI" value={formatDecimal(latest.impact.sroiScore)} testId="kpi-sroi" />
            <Stat label="Avg. VIS" value={formatDecimal(latest.impact.averageVisScore)} testId="kpi-vis" />
            <Stat
              label="Hours logged"
              value={formatInteger(latest.impact.totalHoursLogged)}
              testId="kpi-hours"
            />
          </div>
        );
      }}
    </Panel>
  );
}

// ---------------------------------------------------------------------------------------
// Capacity gauge

function gaugeOption(utilization: number): ChartOption {
  const percent = utilization * 100;
  const max = Math.max(120, Math.ceil((percent * 1.1) / 10) * 10);
  return {
    series: [
      {
        type: 'gauge',
        min: 0,
        max,
        splitNumber: max / 20,
        radius: '95%',
        center: ['50%', '55%'],
        axisLine: {
          lineStyle: {
            width: 14,
            color: [
              [80 / max, '#16a34a'],
              [100 / max, '#f59e0b'],
              [1, '#dc2626'],
            ],
          },
        },
        pointer: { width: 5 },
        axisLabel: { distance: 18, fontSize: 10 },
        detail: { formatter: '{value} %', fontSize: 18, offsetCenter: [0, '45%'] },
        title: { offsetCenter: [0, '72%'], fontSize: 12 },
        data: [{ value: Number(percent.toFixed(1)), name: 'volunteers' }],
      },
    ],
  };
}

export function CapacityGaugePanel({ id }: { id: string }) {
  const query = useQuery(CapacityGaugeDocument, { id, threshold: 0.8 });
  return (
    <Panel id="gauge" title="Capacity" subtitle="warning 80 % · critical 100 %" query={query}>
      {(data) => <GaugeBody campaign={data.campaign} />}
    </Panel>
  );
}

function GaugeBody({ campaign }: { campaign: CapacityGaugeQuery['campaign'] }) {
  const latest = campaign?.latestSnapshot;
  const option = useMemo(() => gaugeOption(latest?.volunteers.utilization ?? 0), [latest]);
  if (!campaign || !latest) return <p className="empty">No snapshot yet.</p>;
  return (
    <>
      <Chart option={option} label="Volunteer utilization gauge" testId="gauge-chart" height={220} />
      <div className="stat-row">
        <Stat
          label="Volunteers"
          value={formatPercent(latest.volunteers.utilization)}
          testId="gauge-volunteers"
        />
        <Stat
          label="Beneficiaries"
          value={formatPercent(latest.beneficiaries.utilization)}
          testId="gauge-beneficiaries"
        />
        <Stat label="Sessions" value={formatPercent(latest.sessions.utilization)} testId="gauge-sessions" />
        <Stat label="Budget" value={formatPercent(latest.budget.utilization)} testId="gauge-budget" />
      </div>
      <p className="note" data-testid="gauge-alert-count">
        {campaign.capacityAlerts.length === 0
          ? 'No resource above 80 %.'
          : campaign.capacityAlerts.map((alert) => `${alert.severity}: ${alert.message}`).join(' · ')}
      </p>
    </>
  );
}

// ---------------------------------------------------------------------------------------
// Impact time series

interface RangeProps {
  id: string;
  from: string;
  to: string;
  /** null: the campaign's own zone */
  timeZone: string | null;
}

/** "day", "week", ... for labels. */
const unitOf = (granularity: Granularity) => granularity.toLowerCase();

export function ImpactPanel({
  id,
  from,
  to,
  timeZone,
  granularity,
}: RangeProps & { granularity: Granularity }) {
  const query = useQuery(ImpactTimeSeriesDocument, { id, from, to, timeZone, granularity });
  const unit = unitOf(granularity);
  return (
    <Panel
      id="impact"
      title="Impact"
      subtitle={`mean SROI and VIS per ${unit}, sessions per ${unit}`}
      query={query}
      wide
    >
      {(data) => <ImpactBody campaign={data.campaign} />}
    </Panel>
  );
}

function ImpactBody({ campaign }: { campaign: ImpactTimeSeriesQuery['campaign'] }) {
  const option = useMemo<ChartOption | null>(() => {
    if (!campaign) return null;
    const { scores, activity } = campaign;
    return {
      color: COLORS,
      tooltip,
      legend: { top: 0 },
      grid,
      xAxis: { type: 'time' },
      yAxis: [
        { type: 'value', name: 'SROI', scale: true },
        { type: 'value', name: 'VIS', scale: true, splitLine: { show: false } },
        { type: 'value', show: false },
      ],
      series: [
        {
          name: 'SROI',
          type: 'line',
          showSymbol: false,
          data: pairs(scores.timestamps, column(scores, 'SROI_SCORE')),
        },
        {
          name: 'VIS',
          type: 'line',
          yAxisIndex: 1,
          showSymbol: false,
          data: pairs(scores.timestamps, column(scores, 'AVERAGE_VIS_SCORE')),
        },
        {
          name: 'Sessions',
          type: 'bar',
          yAxisIndex: 2,
          itemStyle: { opacity: 0.35 },
          data: pairs(activity.timestamps, column(activity, 'TOTAL_SESSIONS_COMPLETED')),
        },
      ],
    };
  }, [campaign]);
  if (!campaign || !option) return <p className="empty">No such campaign.</p>;
  const { scores, activity } = campaign;
  const first = scores.timestamps[0];
  return (
    <>
      <div className="stat-row">
        <Stat
          label={`${unitOf(scores.granularity).replace(/^./, (first) => first.toUpperCase())}s`}
          value={formatInteger(scores.timestamps.length)}
          testId="impact-buckets"
        />
        <Stat
          label="Mean SROI"
          value={formatDecimal(mean(column(scores, 'SROI_SCORE')))}
          testId="impact-sroi-mean"
        />
        <Stat
          label="Mean VIS"
          value={formatDecimal(mean(column(scores, 'AVERAGE_VIS_SCORE')))}
          testId="impact-vis-mean"
        />
        <Stat
          label="Sessions"
          value={formatInteger(sum(column(activity, 'TOTAL_SESSIONS_COMPLETED')))}
          testId="impact-sessions"
        />
        <Stat
          label="Hours"
          value={formatDecimal(sum(column(activity, 'TOTAL_HOURS_LOGGED')), 1)}
          testId="impact-hours"
        />
      </div>
      <p className="note">
        Buckets in <span data-testid="impact-zone">{scores.timeZone}</span>
        {first ? `, from ${localDate(first, scores.timeZone)}` : ''}
      </p>
      <Chart option={option} label="Impact time series" testId="impact-chart" />
    </>
  );
}

// ---------------------------------------------------------------------------------------
// Capacity trend

export function CapacityTrendPanel({
  id,
  from,
  to,
  granularity,
}: Omit<RangeProps, 'timeZone'> & { granularity: Granularity }) {
  const query = useQuery(CapacityTrendDocument, { id, from, to, granularity });
  return (
    <Panel
      id="trend"
      title="Capacity trend"
      subtitle={`volunteers and beneficiaries per ${unitOf(granularity)}`}
      query={query}
    >
      {(data) => <TrendBody campaign={data.campaign} />}
    </Panel>
  );
}

function TrendBody({ campaign }: { campaign: CapacityTrendQuery['campaign'] }) {
  const option = useMemo<ChartOption | null>(() => {
    if (!campaign) return null;
    const { series } = campaign;
    const withTime = series.granularity === 'HOUR';
    const labels = series.timestamps.map((timestamp) => shortDateTime(timestamp, series.timeZone, withTime));
    const area = (name: string, metric: Metric) => ({
      name,
      type: 'line',
      stack: 'capacity',
      areaStyle: { opacity: 0.5 },
      showSymbol: false,
      data: column(series, metric),
    });
    return {
      color: COLORS,
      tooltip,
      legend: { top: 0 },
      grid,
      xAxis: { type: 'category', boundaryGap: false, data: labels },
      yAxis: { type: 'value' },
      series: [area('Volunteers', 'VOLUNTEERS_CURRENT'), area('Beneficiaries', 'BENEFICIARIES_CURRENT')],
    };
  }, [campaign]);
  if (!campaign || !option) return <p className="empty">No such campaign.</p>;
  const { series } = campaign;
  const volunteers = column(series, 'VOLUNTEERS_CURRENT');
  return (
    <>
      <div className="stat-row">
        <Stat label="Buckets" value={formatInteger(series.timestamps.length)} testId="trend-buckets" />
        <Stat
          label="Volunteers (last)"
          value={formatInteger(lastValue(volunteers))}
          testId="trend-volunteers"
        />
        <Stat
          label="Volunteers (peak)"
          value={formatInteger(Math.max(...volunteers.map((value) => value ?? 0)))}
          testId="trend-volunteers-peak"
        />
        <Stat
          label="Beneficiaries (last)"
          value={formatInteger(lastValue(column(series, 'BENEFICIARIES_CURRENT')))}
          testId="trend-beneficiaries"
        />
      </div>
      <Chart option={option} label="Capacity trend, stacked area" testId="trend-chart" />
    </>
  );
}

// ---------------------------------------------------------------------------------------
// Budget burn

export function BudgetBurnPanel({
  id,
  from,
  to,
  granularity,
}: Omit<RangeProps, 'timeZone'> & { granularity: Granularity }) {
  const query = useQuery(BudgetBurnDocument, { id, from, to, granularity });
  return (
    <Panel
      id="burn"
      title="Budget burn"
      subtitle={`actual spend per ${unitOf(granularity)} and projection`}
      query={query}
    >
      {(data) => <BurnBody campaign={data.campaign} />}
    </Panel>
  );
}

function BurnBody({ campaign }: { campaign: BudgetBurnQuery['campaign'] }) {
  const option = useMemo<ChartOption | null>(() => {
    if (!campaign) return null;
    const { series, budgetBurn, endsAt } = campaign;
    const spent = column(series, 'BUDGET_SPENT');
    const projected =
      budgetBurn && endsAt && budgetBurn.projectedSpendAtEnd !== null
        ? [
            [Date.parse(budgetBurn.asOf), Number(budgetBurn.spent)],
            [Date.parse(endsAt), Number(budgetBurn.projectedSpendAtEnd)],
          ]
        : [];
    return {
      color: ['#2563eb', '#f59e0b'],
      tooltip,
      legend: { top: 0 },
      grid: { ...grid, left: 64 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value' },
      series: [
        {
          name: 'Actual',
          type: 'line',
          showSymbol: false,
          data: pairs(series.timestamps, spent),
          markLine: budgetBurn
            ? {
                symbol: 'none',
                label: { formatter: 'allocated', position: 'insideEndTop' },
                lineStyle: { color: '#64748b', type: 'dotted' },
                data: [{ yAxis: Number(budgetBurn.allocated) }],
              }
            : undefined,
        },
        { name: 'Projected', type: 'line', lineStyle: { type: 'dashed' }, data: projected },
      ],
    };
  }, [campaign]);
  if (!campaign || !option) return <p className="empty">No such campaign.</p>;
  const burn = campaign.budgetBurn;
  const spent = column(campaign.series, 'BUDGET_SPENT').filter((value): value is number => value !== null);
  const rangeSpend = spent.length ? (spent[spent.length - 1] ?? 0) - (spent[0] ?? 0) : null;
  return (
    <>
      <div className="stat-row">
        <Stat label="Spent" value={formatMoney(burn?.spent)} testId="burn-spent" />
        <Stat label="Per day" value={formatMoney(burn?.dailyBurnRate)} testId="burn-rate" />
        <Stat
          label="Projected at end"
          value={formatMoney(burn?.projectedSpendAtEnd)}
          testId="burn-projected"
        />
        <Stat label="Spent in range" value={formatMoney(rangeSpend)} testId="burn-range-spend" />
      </div>
      <p className="note">
        Status: <strong data-testid="burn-status">{burn?.status ?? 'UNKNOWN'}</strong>
        {burn?.projectedExhaustionDate ? ` · exhausted ${burn.projectedExhaustionDate.slice(0, 10)}` : ''}
      </p>
      <Chart option={option} label="Budget burn, actual and projected" testId="burn-chart" />
    </>
  );
}

// ---------------------------------------------------------------------------------------
// Activity heatmap

export function HeatmapPanel({ id, from, to, timeZone }: RangeProps) {
  const query = useQuery(ActivityHeatmapDocument, { id, from, to, timeZone });
  return (
    <Panel id="heatmap" title="Activity" subtitle="sessions by local weekday and hour" query={query}>
      {(data) => <HeatmapBody campaign={data.campaign} />}
    </Panel>
  );
}

function HeatmapBody({ campaign }: { campaign: ActivityHeatmapQuery['campaign'] }) {
  const option = useMemo<ChartOption | null>(() => {
    if (!campaign) return null;
    const { cells } = campaign.activityHeatmap;
    const max = Math.max(1, ...cells.map((cell) => cell.value));
    return {
      tooltip: { position: 'top' },
      grid: { left: 40, right: 12, top: 8, bottom: 64 },
      xAxis: {
        type: 'category',
        data: Array.from({ length: 24 }, (_, hour) => String(hour)),
        splitArea: { show: true },
      },
      yAxis: { type: 'category', data: WEEKDAYS, inverse: true, splitArea: { show: true } },
      visualMap: {
        min: 0,
        max,
        calculable: true,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 120,
        inRange: { color: ['#f1f5f9', '#93c5fd', '#1d4ed8'] },
      },
      series: [
        {
          name: 'Sessions',
          type: 'heatmap',
          data: cells.map((cell) => [cell.hour, cell.dayOfWeek - 1, cell.value]),
        },
      ],
    };
  }, [campaign]);
  if (!campaign || !option) return <p className="empty">No such campaign.</p>;
  const { byDayOfWeek, cells, timeZone } = campaign.activityHeatmap;
  const peak = cells.reduce(
    (best, cell) => (cell.value > best.value ? cell : best),
    cells[0] ?? { dayOfWeek: 1, hour: 0, value: 0 },
  );
  return (
    <>
      <div className="weekday-row">
        {byDayOfWeek.map((value, index) => (
          <Stat
            key={WEEKDAYS[index]}
            label={WEEKDAYS[index] ?? ''}
            value={formatInteger(value)}
            testId={`heatmap-dow-${index + 1}`}
          />
        ))}
      </div>
      <p className="note">
        Total <span data-testid="heatmap-total">{formatInteger(sum(byDayOfWeek))}</span> · busiest{' '}
        <span data-testid="heatmap-peak">
          {WEEKDAYS[peak.dayOfWeek - 1]} {String(peak.hour).padStart(2, '0')}:00
        </span>{' '}
        ({timeZone})
      </p>
      <Chart option={option} label="Activity heatmap" testId="heatmap-chart" height={280} />
    </>
  );
}

// ---------------------------------------------------------------------------------------
// Outcome radar

export function OutcomeRadarPanel({ id, cohort }: { id: string; cohort: string[] }) {
  const query = useQuery(OutcomeRadarDocument, { id, cohort });
  return (
    <Panel id="radar" title="Outcomes" subtitle="latest scores vs cohort average" query={query}>
      {(data) => <RadarBody data={data} id={id} />}
    </Panel>
  );
}

function RadarBody({ data, id }: { data: OutcomeRadarQuery; id: string }) {
  const row = data.compareOutcomes.find((entry) => entry.campaign.id === id);
  const outcomes = row?.outcomes ?? [];
  const option = useMemo<ChartOption | null>(() => {
    if (outcomes.length === 0) return null;
    const max = Math.max(
      1,
      ...outcomes.flatMap((outcome) => [outcome.value ?? 0, outcome.cohortAverage ?? 0]),
    );
    const top = Math.ceil(max * 1.1 * 10) / 10;
    return {
      color: COLORS,
      legend: { bottom: 0 },
      tooltip: {},
      radar: {
        radius: '62%',
        indicator: outcomes.map((outcome) => ({ name: outcome.dimension, max: top })),
      },
      series: [
        {
          type: 'radar',
          data: [
            {
              name: 'This campaign',
              value: outcomes.map((outcome) => outcome.value ?? 0),
              areaStyle: { opacity: 0.25 },
            },
            { name: 'Cohort average', value: outcomes.map((outcome) => outcome.cohortAverage ?? 0) },
          ],
        },
      ],
    };
  }, [outcomes]);
  if (!option) return <p className="empty">No outcome scores recorded.</p>;
  return (
    <>
      <div className="stat-row">
        {outcomes.map((outcome) => (
          <Stat
            key={outcome.dimension}
            label={outcome.dimension}
            value={formatDecimal(outcome.value)}
            testId={`radar-${outcome.dimension}`}
            hint={`avg ${formatDecimal(outcome.cohortAverage)}`}
          />
        ))}
      </div>
      <Chart option={option} label="Outcome radar" testId="radar-chart" height={280} />
    </>
  );
}

// ---------------------------------------------------------------------------------------
// Capacity alerts widget

const ALERTS_VARIABLES = { threshold: 0.8, first: 20 };
/** Received live alerts kept for merging and highlighting; older ones are in the re-read list. */
const LIVE_KEPT = 100;

type AlertsData = CapacityAlertsWidgetQuery['capacityAlerts'];
type AlertNode = AlertsData['edges'][number]['node'];

/** The order of Query.capacityAlerts: most severe, highest utilization, campaign id, resource. */
function alertOrder(a: AlertNode, b: AlertNode): number {
  if (a.severity !== b.severity) return a.severity === 'CRITICAL' ? -1 : 1;
  if (a.utilization !== b.utilization) return b.utilization - a.utilization;
  if (a.campaign.id !== b.campaign.id) return a.campaign.id < b.campaign.id ? -1 : 1;
  return CAPACITY_RESOURCES.indexOf(a.resource) - CAPACITY_RESOURCES.indexOf(b.resource);
}

const alertKey = (alert: AlertNode) => `${alert.campaign.id}/${alert.resource}`;
const liveKey = (alert: AlertNode) => `${alertKey(alert)}@${alert.snapshotDate}`;

/**
 * The list with the alerts received live: an alert of a newer snapshot replaces the alerts of
 * that campaign's older one (they were the alerts of its previous latest snapshot), one of an
 * older snapshot than the list shows is ignored. Rows the server's next page would hold stay
 * out, so the order is the server's.
 */
function withLiveAlerts(base: AlertsData, received: readonly AlertNode[]) {
  const rows = new Map(base.edges.map(({ node }) => [alertKey(node), node]));
  let total = base.totalCount;
  for (const alert of received) {
    const at = Date.parse(alert.snapshotDate);
    const ofCampaign = [...rows].filter(([, row]) => row.campaign.id === alert.campaign.id);
    if (ofCampaign.some(([, row]) => Date.parse(row.snapshotDate) > at)) continue;
    for (const [key, row] of ofCampaign) {
      if (Date.parse(row.snapshotDate) < at) {
        rows.delete(key);
        total--;
      }
    }
    if (!rows.has(alertKey(alert))) total++;
    rows.set(alertKey(alert), alert);
  }
  const last = base.edges.at(-1)?.node;
  const shown = [...rows.values()]
    .filter((row) => !base.pageInfo.hasNextPage || !last || alertOrder(row, last) <= 0)
    .sort(alertOrder)
    .slice(0, ALERTS_VARIABLES.first);
  return { total, rows: shown, more: base.pageInfo.hasNextPage || rows.size > shown.length };
}

const LIVE_LABELS: Record<LiveState, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  failed: 'live updates off',
};

export function AlertsWidget({
  selectedId,
  onSelect,
}: {
  selectedId: string;
  onSelect: (id: string) => void;
}) {
  const query = useQuery(CapacityAlertsWidgetDocument, ALERTS_VARIABLES);
  const [received, setReceived] = useState<AlertNode[]>([]);
  const [reread, setReread] = useState<AlertsData>();
  const live = useSubscription(
    CapacityAlertsLiveDocument,
    { threshold: ALERTS_VARIABLES.threshold },
    useCallback((data) => setReceived((list) => [...list, data.capacityAlertRaised].slice(-LIVE_KEPT)), []),
  );
  // After live alerts, or a reconnect that may have missed some, the list is read again
  // quietly: alerts that cleared and the exact total come with it.
  useEffect(() => {
    if (received.length === 0 && live.connections <= 1) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      request(CapacityAlertsWidgetDocument, ALERTS_VARIABLES, controller.signal).then(
        (data) => setReread(data.capacityAlerts),
        () => {},
      );
    }, 500);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [received, live.connections]);
  const liveKeys = useMemo(() => new Set(received.map(liveKey)), [received]);
  const indicator = (
    <span
      className={`live-indicator ${live.state}`}
      data-testid="alerts-live"
      data-state={live.state}
      title={live.error?.message ?? 'capacityAlertRaised over Server-Sent Events'}
    >
      {LIVE_LABELS[live.state]}
    </span>
  );
  return (
    <Panel
      id="alerts"
      title="Capacity alerts"
      subtitle="all campaigns, 80 % and above"
      query={query}
      status={indicator}
    >
      {(data) => {
        const view = withLiveAlerts(reread ?? data.capacityAlerts, received);
        return (
          <>
            <p className="note">
              <span data-testid="alerts-total">{formatInteger(view.total)}</span> alerts
              {view.more ? ` (first ${view.rows.length})` : ''}
            </p>
            <ul className="alerts">
              {view.rows.map((node) => {
                const isLive = liveKeys.has(liveKey(node));
                return (
                  <li
                    key={alertKey(node)}
                    className={`alert ${node.severity.toLowerCase()}${node.campaign.id === selectedId ? ' selected' : ''}${isLive ? ' live' : ''}`}
                    data-testid="alert-row"
                    data-campaign={node.campaign.id}
                    data-resource={node.resource}
                    data-live={isLive ? 'true' : undefined}
                  >
                    <button type="button" title={node.message} onClick={() => onSelect(node.campaign.id)}>
                      <span className="badge">{node.severity}</span>
                      <span className="alert-campaign">{node.campaign.name}</span>
                      <span className="alert-resource">{node.resource.toLowerCase()}</span>
                      <span className="alert-value">{formatPercent(node.utilization)}</span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </>
        );
      }}
    </Panel>
  );
}

// ---------------------------------------------------------------------------------------
// Comparison table

const COMPARED: { metric: Metric; label: string; percent: boolean }[] = [
  { metric: 'VOLUNTEERS_UTILIZATION', label: 'Volunteers', percent: true },
  { metric: 'BUDGET_UTILIZATION', label: 'Budget', percent: true },
  { metric: 'SROI_SCORE', label: 'SROI', percent: false },
  { metric: 'AVERAGE_VIS_SCORE', label: 'VIS', percent: false },
];

export function ComparisonPanel({
  ids,
  from,
  to,
  selectedId,
}: {
  ids: string[];
  from: string;
  to: string;
  selectedId: string;
}) {
  const query = useQuery(ComparisonTableDocument, { ids, from, to });
  return (
    <Panel
      id="comparison"
      title="Comparison"
      subtitle="mean over the range, rank in the cohort"
      query={query}
      wide
    >
      {(data) => (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Campaign</th>
                {COMPARED.map((entry) => (
                  <th key={entry.metric} scope="col" className="number">
                    {entry.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.compareCampaigns.map((row) => (
                <tr key={row.campaign.id} className={row.campaign.id === selectedId ? 'selected' : undefined}>
                  <th scope="row">{row.campaign.name}</th>
                  {COMPARED.map((entry) => {
                    const value = row.values.find((candidate) => candidate.metric === entry.metric);
                    const testId = `compare-${row.campaign.id}-${entry.metric}`;
                    return (
                      <td key={entry.metric} className="number">
                        <span data-testid={testId}>
                          {entry.percent ? formatPercent(value?.value) : formatDecimal(value?.value)}
                        </span>{' '}
                        <span className="rank" data-testid={`${testId}-rank`}>
                          {value?.rank ? `#${value.rank}` : ''}
                        </span>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

// ---------------------------------------------------------------------------------------
// Forecast

export function ForecastPanel({ id, target }: { id: string; target: number }) {
  const query = useQuery(ForecastDocument, { id, metric: 'VOLUNTEERS_CURRENT', horizonDays: 30, target });
  return (
    <Panel id="forecast" title="Volunteer forecast" subtitle="30 days, 95 % prediction band" query={query}>
      {(data) => <ForecastBody forecast={data.campaign?.forecast ?? null} target={target} />}
    </Panel>
  );
}

type Forecast = NonNullable<NonNullable<ForecastQuery['campaign']>['forecast']>;

function ForecastBody({ forecast, target }: { forecast: Forecast | null; target: number }) {
  const option = useMemo<ChartOption | null>(() => {
    if (!forecast) return null;
    const at = (point: { date: string }) => Date.parse(point.date);
    return {
      color: ['#7c3aed'],
      tooltip,
      legend: { top: 0, data: ['Forecast', 'Band'] },
      grid,
      xAxis: { type: 'time', splitNumber: 4 },
      yAxis: { type: 'value', scale: true },
      series: [
        {
          name: 'Lower',
          type: 'line',
          stack: 'band',
          symbol: 'none',
          lineStyle: { opacity: 0 },
          data: forecast.points.map((point) => [at(point), point.lower]),
        },
        {
          name: 'Band',
          type: 'line',
          stack: 'band',
          symbol: 'none',
          lineStyle: { opacity: 0 },
          areaStyle: { color: '#c4b5fd', opacity: 0.6 },
          data: forecast.points.map((point) => [at(point), point.upper - point.lower]),
        },
        {
          name: 'Forecast',
          type: 'line',
          showSymbol: false,
          data: forecast.points.map((point) => [at(point), point.value]),
          markLine: {
            symbol: 'none',
            data: [{ yAxis: target, name: 'target' }],
            lineStyle: { color: '#dc2626' },
          },
        },
      ],
    };
  }, [forecast, target]);
  if (!forecast || !option) return <p className="empty">Not enough history to forecast.</p>;
  const last = forecast.points[forecast.points.length - 1];
  return (
    <>
      <div className="stat-row">
        <Stat label="Per day" value={formatDecimal(forecast.slopePerDay)} testId="forecast-slope" />
        <Stat label="R²" value={formatDecimal(forecast.r2, 3)} testId="forecast-r2" />
        <Stat label="In 30 days" value={formatDecimal(last?.value, 1)} testId="forecast-end" />
        <Stat
          label="95 % band"
          value={`${formatDecimal(last?.lower, 1)} – ${formatDecimal(last?.upper, 1)}`}
          testId="forecast-band"
        />
      </div>
      <p className="note">
        Target {formatInteger(target)}:{' '}
        <span data-testid="forecast-reaches">
          {forecast.reachesValueAt ? `reached ${forecast.reachesValueAt.slice(0, 10)}` : 'not on this trend'}
        </span>
      </p>
      <Chart option={option} label="Volunteer forecast with prediction band" testId="forecast-chart" />
    </>
  );
}

// ---------------------------------------------------------------------------------------
// Engagement table

export function EngagementPanel({
  selectedId,
  onSelect,
  granularity,
}: {
  selectedId: string;
  onSelect: (id: string) => void;
  granularity: Granularity;
}) {
  const query = useQuery(EngagementTableDocument, { first: 50, granularity });
  return (
    <Panel id="engagement" title="Engagement" subtitle="active and paused campaigns" query={query} wide>
      {(data) => (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Campaign</th>
                <th scope="col" className="number">
                  Volunteers
                </th>
                <th scope="col" className="number">
                  Retention
                </th>
                <th scope="col" className="number">
                  Dropout
                </th>
                <th scope="col" className="number">
                  Sessions / volunteer
                </th>
                <th scope="col" className="number">
                  Sessions, latest {unitOf(granularity)}
                </th>
              </tr>
            </thead>
            <tbody>
              {data.campaigns.edges.map(({ node }) => {
                const latest = node.latestSnapshot;
                const engagement = latest?.engagement;
                return (
                  <tr key={node.id} className={node.id === selectedId ? 'selected' : undefined}>
                    <th scope="row">
                      <button type="button" className="link" onClick={() => onSelect(node.id)}>
                        {node.name}
                      </button>
                    </th>
                    <td className="number" data-testid={`engagement-${node.id}-volunteers`}>
                      {formatInteger(latest?.volunteers.current)}
                    </td>
                    <td className="number" data-testid={`engagement-${node.id}-retention`}>
                      {formatPercent(engagement?.volunteerRetentionRate)}
                    </td>
                    <td className="number" data-testid={`engagement-${node.id}-dropout`}>
                      {formatPercent(engagement?.volunteerDropoutRate)}
                    </td>
                    <td className="number" data-testid={`engagement-${node.id}-sessions`}>
                      {formatDecimal(engagement?.averageSessionsPerVolunteer)}
                    </td>
                    <td className="number" data-testid={`engagement-${node.id}-period-sessions`}>
                      {formatInteger(node.latestPeriod.edges[0]?.node.sessions)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}
