import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  type CampaignStatus,
  type Granularity,
  OverviewKpisDocument,
} from '../../client/generated/graphql.js';
import { RequestError, saveAccessToken, useQuery } from './api.js';
import { addDays, localDate, zonedMidnight } from './format.js';
import {
  AlertsWidget,
  BudgetBurnPanel,
  CapacityGaugePanel,
  CapacityTrendPanel,
  ComparisonPanel,
  EngagementPanel,
  ForecastPanel,
  HeatmapPanel,
  ImpactPanel,
  KpiCards,
  OutcomeRadarPanel,
} from './panels.js';

const ALL_STATUSES: CampaignStatus[] = [
  'ACTIVE',
  'RECRUITING',
  'PAUSED',
  'PLANNED',
  'COMPLETED',
  'DRAFT',
  'ARCHIVED',
];
const GRANULARITIES: Granularity[] = ['HOUR', 'DAY', 'WEEK', 'MONTH'];
const TIME_ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'Asia/Kolkata',
  'Asia/Tokyo',
  'Australia/Adelaide',
];
const DEFAULT_DAYS = 30;
const COHORT_SIZE = 6;

/** The controls, mirrored in the URL (`?campaign=&from=&to=&granularity=&tz=`) so a view can be shared. */
interface Controls {
  campaign: string | null;
  /** first local day (YYYY-MM-DD) */
  from: string | null;
  /** last local day, inclusive */
  to: string | null;
  granularity: Granularity;
  /** '' = each campaign's own zone */
  timeZone: string;
}

const isDate = (value: string | null): value is string => value !== null && /^\d{4}-\d{2}-\d{2}$/.test(value);

function readControls(): Controls {
  const params = new URLSearchParams(window.location.search);
  const granularity = params.get('granularity') as Granularity | null;
  const timeZone = params.get('tz') ?? '';
  return {
    campaign: params.get('campaign'),
    from: isDate(params.get('from')) ? params.get('from') : null,
    to: isDate(params.get('to')) ? params.get('to') : null,
    granularity: granularity && GRANULARITIES.includes(granularity) ? granularity : 'DAY',
    timeZone: TIME_ZONES.includes(timeZone) ? timeZone : '',
  };
}

function writeControls(controls: Controls) {
  const params = new URLSearchParams();
  if (controls.campaign) params.set('campaign', controls.campaign);
  if (controls.from) params.set('from', controls.from);
  if (controls.to) params.set('to', controls.to);
  params.set('granularity', controls.granularity);
  if (controls.timeZone) params.set('tz', controls.timeZone);
  window.history.replaceState(null, '', `${window.location.pathname}?${params}`);
}

export function App() {
  const [controls, setControls] = useState<Controls>(readControls);
  const update = useCallback(
    (change: Partial<Controls>) => setControls((current) => ({ ...current, ...change })),
    [],
  );
  const list = useQuery(OverviewKpisDocument, { first: 100, status: ALL_STATUSES });
  const campaigns = useMemo(() => list.data?.campaigns.edges.map((edge) => edge.node) ?? [], [list.data]);

  // Defaults once the campaigns are known: the first active campaign, the last 30 days of data.
  useEffect(() => {
    if (campaigns.length === 0) return;
    setControls((current) => {
      const known = campaigns.some((campaign) => campaign.id === current.campaign);
      const campaign = known
        ? current.campaign
        : ((campaigns.find((candidate) => candidate.status === 'ACTIVE') ?? campaigns[0])?.id ?? null);
      let { from, to } = current;
      if (!from || !to) {
        const latest = campaigns
          .map((candidate) => candidate.latestSnapshot?.snapshotDate ?? '')
          .sort()
          .pop();
        const lastDay = latest ? localDate(latest, 'UTC') : new Date().toISOString().slice(0, 10);
        to = to ?? lastDay;
        from = from ?? addDays(to, -(DEFAULT_DAYS - 1));
      }
      if (campaign === current.campaign && from === current.from && to === current.to) return current;
      return { ...current, campaign, from, to };
    });
  }, [campaigns]);

  useEffect(() => writeControls(controls), [controls]);

  const selected = campaigns.find((campaign) => campaign.id === controls.campaign);
  const zone = controls.timeZone || selected?.timeZone || 'UTC';
  const rangeError =
    controls.from && controls.to && controls.from > controls.to
      ? 'The first day is after the last day.'
      : null;
  const range =
    selected && controls.from && controls.to && !rangeError
      ? { from: zonedMidnight(controls.from, zone), to: zonedMidnight(addDays(controls.to, 1), zone) }
      : null;
  const cohort = useMemo(() => {
    if (!selected) return [];
    const others = campaigns
      .filter(
        (campaign) => campaign.id !== selected.id && campaign.latestSnapshot && campaign.status === 'ACTIVE',
      )
      .map((campaign) => campaign.id);
    return [selected.id, ...others].slice(0, COHORT_SIZE);
  }, [campaigns, selected]);
  const select = useCallback((id: string) => update({ campaign: id }), [update]);

  return (
    <div className="page">
      <header className="top">
        <h1>Campaign metrics</h1>
        <form
          className="controls"
          aria-label="Dashboard controls"
          onSubmit={(event) => event.preventDefault()}
        >
          <label>
            Campaign
            <select
              data-testid="control-campaign"
              value={controls.campaign ?? ''}
              disabled={campaigns.length === 0}
              onChange={(event) => update({ campaign: event.target.value })}
            >
              {campaigns.map((campaign) => (
                <option key={campaign.id} value={campaign.id}>
                  {campaign.name} ({campaign.status.toLowerCase()})
                </option>
              ))}
            </select>
          </label>
          <label>
            From
            <input
              type="date"
              data-testid="control-from"
              value={controls.from ?? ''}
              max={controls.to ?? undefined}
              onChange={(event) => isDate(event.target.value) && update({ from: event.target.value })}
            />
          </label>
          <label>
            To
            <input
              type="date"
              data-testid="control-to"
              value={controls.to ?? ''}
              min={controls.from ?? undefined}
              onChange={(event) => isDate(event.target.value) && update({ to: event.target.value })}
            />
          </label>
          <label>
            Granularity
            <select
              data-testid="control-granularity"
              value={controls.granularity}
              onChange={(event) => update({ granularity: event.target.value as Granularity })}
            >
              {GRANULARITIES.map((granularity) => (
                <option key={granularity} value={granularity}>
                  {granularity.toLowerCase()}
                </option>
              ))}
            </select>
          </label>
          <label>
            Time zone
            <select
              data-testid="control-timezone"
              value={controls.timeZone}
              onChange={(event) => update({ timeZone: event.target.value })}
            >
              <option value="">campaign's own{selected ? ` (${selected.timeZone})` : ''}</option>
              {TIME_ZONES.map((timeZone) => (
                <option key={timeZone} value={timeZone}>
                  {timeZone}
                </option>
              ))}
            </select>
          </label>
        </form>
        {rangeError ? (
          <p className="banner error" role="alert">
            {rangeError}
          </p>
        ) : null}
        {list.error ? (
          <p className="banner error" role="alert" data-testid="page-error">
            The gateway did not answer: {list.error.message}
          </p>
        ) : null}
        {list.error instanceof RequestError && list.error.code === 'UNAUTHENTICATED' ? <TokenForm /> : null}
        {range ? (
          <p className="range" data-testid="range">
            {range.from} – {range.to} ({zone})
          </p>
        ) : null}
      </header>
      {list.loading && campaigns.length === 0 && !list.error ? (
        <p className="banner" role="status" data-testid="page-loading">
          Loading campaigns…
        </p>
      ) : null}
      {selected && range ? (
        <main className="grid">
          <KpiCards node={selected} loading={list.loading} error={list.error} />
          <CapacityGaugePanel id={selected.id} />
          <AlertsWidget selectedId={selected.id} onSelect={select} />
          <ImpactPanel
            id={selected.id}
            from={range.from}
            to={range.to}
            timeZone={controls.timeZone || null}
            granularity={controls.granularity}
          />
          <CapacityTrendPanel
            id={selected.id}
            from={range.from}
            to={range.to}
            granularity={controls.granularity}
          />
          <BudgetBurnPanel
            id={selected.id}
            from={range.from}
            to={range.to}
            granularity={controls.granularity}
          />
          <HeatmapPanel
            id={selected.id}
            from={range.from}
            to={range.to}
            timeZone={controls.timeZone || null}
          />
          <OutcomeRadarPanel id={selected.id} cohort={cohort} />
          <ForecastPanel id={selected.id} target={selected.latestSnapshot?.volunteers.target ?? 0} />
          <ComparisonPanel ids={cohort} from={range.from} to={range.to} selectedId={selected.id} />
          <EngagementPanel selectedId={selected.id} onSelect={select} granularity={controls.granularity} />
        </main>
      ) : null}
    </div>
  );
}

/** The gateway wants a bearer token: take one for this tab and load the page again with it. */
function TokenForm() {
  const [token, setToken] = useState('');
  return (
    <form
      className="controls"
      data-testid="token-form"
      onSubmit={(event) => {
        event.preventDefault();
        saveAccessToken(token);
        window.location.reload();
      }}
    >
      <label>
        Access token (JWT)
        <input
          type="password"
          data-testid="token-input"
          autoComplete="off"
          value={token}
          onChange={(event) => setToken(event.target.value)}
        />
      </label>
      <button type="submit" disabled={token.trim() === ''}>
        Use token
      </button>
    </form>
  );
}
