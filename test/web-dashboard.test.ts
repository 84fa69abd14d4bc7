import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { print } from 'graphql';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActivityHeatmapDocument,
  type ActivityHeatmapQuery,
  BudgetBurnDocument,
  type BudgetBurnQuery,
  CapacityAlertsWidgetDocument,
  type CapacityAlertsWidgetQuery,
  CapacityTrendDocument,
  type CapacityTrendQuery,
  EngagementTableDocument,
  type EngagementTableQuery,
  ForecastDocument,
  type ForecastQuery,
  ImpactTimeSeriesDocument,
  type ImpactTimeSeriesQuery,
} from '../client/generated/graphql.js';
import { loadConfig } from '../src/config.js';
import { queryRows } from '../src/db/client.js';
import { seedDatabase } from '../src/seed/seed-database.js';
import { HS256_AUTH, hs256Token } from './helpers/auth-gateway.js';
import { chromiumPath, launchChromium } from './helpers/browser.js';
import { serveOverHttp } from './helpers/http-server.js';
import {
  createQuietGateway,
  createTestDatabase,
  executeOk,
  type TestDatabase,
} from './helpers/test-database.js';

/**
 * The web dashboard in a real browser (Debian's Chromium through playwright-core) against the
 * real HTTP server on seeded data. Every number the test expects is read again here, from SQL
 * or from a direct GraphQL request with the variables the page should be using, and compared
 * with the text the page shows.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(root, 'test-artifacts');
const END = new Date('2026-06-01T00:00:00Z');
/** The page's default range: the 30 local days up to the last day with data (END - 1 day). */
const DEFAULT_FROM = '2026-05-02';
const DEFAULT_TO = '2026-05-31';
const PANELS = [
  'kpis',
  'gauge',
  'alerts',
  'impact',
  'trend',
  'burn',
  'heatmap',
  'radar',
  'forecast',
  'comparison',
  'engagement',
];
const CHART_PANELS = ['gauge', 'impact', 'trend', 'burn', 'heatmap', 'radar', 'forecast'];

const executable = chromiumPath();
if (!executable) {
  throw new Error('Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)');
}

let db: TestDatabase;
let server: Server;
let base: string;
let browser: Browser;
let page: Page;
let outDir: string;
const consoleErrors: string[] = [];

interface CampaignRow extends Record<string, unknown> {
  id: string;
  name: string;
  status: string;
  time_zone: string;
}
let campaigns: CampaignRow[];

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'cmg-web-'));
  const [database] = await Promise.all([
    createTestDatabase(),
    build({
      configFile: join(root, 'web/vite.config.ts'),
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true },
    }),
  ]);
  db = database;
  await seedDatabase(db.handle.db, { campaigns: 8, days: 60, end: END });
  campaigns = await queryRows<CampaignRow>(
    db.handle.db,
    sql`SELECT id::text, name, status::text, time_zone FROM campaigns ORDER BY name`,
  );
  server = createServer(createQuietGateway({ db: db.handle.db, webRoot: outDir }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium(executable);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  mkdirSync(artifacts, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await db?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------
// Independent reads

/** The instant a local date starts in a zone, as PostgreSQL computes it. */
async function midnight(date: string, zone: string): Promise<string> {
  const [row] = await queryRows<{ at: string }>(
    db.handle.db,
    sql`SELECT to_char((${date}::timestamp AT TIME ZONE ${zone}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at`,
  );
  return row?.at ?? '';
}

async function rangeFor(from: string, lastDay: string, zone: string) {
  const next = new Date(Date.parse(`${lastDay}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return { from: await midnight(from, zone), to: await midnight(next, zone) };
}

interface Latest extends Record<string, unknown> {
  volunteers: number;
  beneficiaries: number;
  spent: string;
  volunteers_utilization: number;
}

async function latestSnapshot(id: string): Promise<Latest> {
  const [row] = await queryRows<Latest>(
    db.handle.db,
    sql`SELECT volunteers_current AS volunteers, beneficiaries_current AS beneficiaries,
               budget_spent::text AS spent, volunteers_utilization::float8 AS volunteers_utilization
        FROM campaign_metrics_snapshots WHERE campaign_id = ${id}
        ORDER BY snapshot_date DESC LIMIT 1`,
  );
  if (!row) throw new Error(`no snapshot for ${id}`);
  return row;
}

/** Mean volunteer utilization over [from, to): the comparison table's value. */
async function meanUtilization(id: string, range: { from: string; to: string }): Promise<number> {
  const [row] = await queryRows<{ value: number }>(
    db.handle.db,
    sql`SELECT avg(volunteers_utilization)::float8 AS value FROM campaign_metrics_snapshots
        WHERE campaign_id = ${id} AND snapshot_date >= ${range.from}::timestamptz AND snapshot_date < ${range.to}::timestamptz`,
  );
  return Number(row?.value);
}

const total = (values: readonly (number | null)[]) =>
  values.reduce<number>((sum, value) => sum + (value ?? 0), 0);
const valuesOf = (series: { columns: { metric: string; values: (number | null)[] }[] }, metric: string) =>
  series.columns.find((column) => column.metric === metric)?.values ?? [];
const lastOf = (values: readonly (number | null)[]) =>
  values.filter((value) => value !== null).at(-1) ?? null;

// ---------------------------------------------------------------------------------------
// Reading the page

/** The text of a number on the page without grouping, units or spaces ("1,234.50 %" -> "1234.50"). */
async function shown(testId: string): Promise<string> {
  const text = (await page.getByTestId(testId).first().textContent({ timeout: 10_000 })) ?? '';
  return text.replace(/[,\s%]/g, '');
}

const fixed = (value: number, digits: number) =>
  (Math.abs(value) < 0.5 * 10 ** -digits ? 0 : value).toFixed(digits);

/** Waits until the page shows the expected number (formatted with `digits` decimals). */
async function expectShown(testId: string, value: number, digits = 0) {
  await expect.poll(() => shown(testId), { timeout: 15_000 }).toBe(fixed(value, digits));
}

/** Every panel answered for the current controls. */
async function settle() {
  await page.waitForFunction(
    (count) =>
      document.querySelectorAll('[data-panel][data-state="ready"]').length === count &&
      !document.querySelector('[data-state="loading"], [data-state="error"]'),
    PANELS.length,
    { timeout: 20_000 },
  );
}

async function selected(): Promise<CampaignRow> {
  const id = await page.getByTestId('control-campaign').inputValue();
  const campaign = campaigns.find((candidate) => candidate.id === id);
  if (!campaign) throw new Error(`unknown campaign ${id}`);
  return campaign;
}

/** What the page should show for a campaign, range, zone and granularity, read directly. */
async function expectedPanels(
  id: string,
  range: { from: string; to: string },
  timeZone: string | null,
  granularity = 'DAY',
) {
  const impact = await executeOk<ImpactTimeSeriesQuery>(db.gateway, print(ImpactTimeSeriesDocument), {
    id,
    ...range,
    timeZone,
    granularity,
  });
  const heatmap = await executeOk<ActivityHeatmapQuery>(db.gateway, print(ActivityHeatmapDocument), {
    id,
    ...range,
    timeZone,
  });
  if (!impact.campaign || !heatmap.campaign) throw new Error('campaign not found');
  const sroi = valuesOf(impact.campaign.scores, 'SROI_SCORE').filter((value) => value !== null);
  return {
    days: impact.campaign.scores.timestamps.length,
    sroiMean: total(sroi) / sroi.length,
    sessions: total(valuesOf(impact.campaign.activity, 'TOTAL_SESSIONS_COMPLETED')),
    zone: impact.campaign.scores.timeZone,
    byDayOfWeek: heatmap.campaign.activityHeatmap.byDayOfWeek,
  };
}

async function trend(id: string, range: { from: string; to: string }, granularity: string) {
  const data = await executeOk<CapacityTrendQuery>(db.gateway, print(CapacityTrendDocument), {
    id,
    ...range,
    granularity,
  });
  if (!data.campaign) throw new Error('campaign not found');
  return data.campaign.series;
}

// ---------------------------------------------------------------------------------------

describe('web dashboard in Chromium', () => {
  it('serves the page and its assets beside /graphql', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${base}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    for (const path of ['/assets/%2e%2e/%2e%2e/package.json', '/..%2fpackage.json', '/missing.js']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
    const graphql = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ campaigns(first: 1) { totalCount } }' }),
    });
    expect(await graphql.json()).toEqual({ data: { campaigns: { totalCount: campaigns.length } } });
  });

  it('loads without console errors and renders every panel with data', async () => {
    await page.goto(`${base}/`);
    await settle();
    expect((await page.locator('[data-panel]').all()).length).toBe(PANELS.length);
    for (const panel of CHART_PANELS) {
      const canvas = page.locator(`[data-panel="${panel}"] canvas`).first();
      const box = await canvas.boundingBox();
      expect(box?.width ?? 0, `${panel} chart`).toBeGreaterThan(100);
    }
    expect(await page.getByTestId('control-from').inputValue()).toBe(DEFAULT_FROM);
    expect(await page.getByTestId('control-to').inputValue()).toBe(DEFAULT_TO);

    const campaign = await selected();
    expect(campaign.status).toBe('ACTIVE');
    const range = await rangeFor(DEFAULT_FROM, DEFAULT_TO, campaign.time_zone);
    const latest = await latestSnapshot(campaign.id);
    // KPI cards and gauge: the latest snapshot, read with SQL
    await expectShown('kpi-volunteers', latest.volunteers);
    await expectShown('kpi-beneficiaries', latest.beneficiaries);
    await expectShown('kpi-budget-spent', Number(latest.spent), 2);
    await expectShown('gauge-volunteers', latest.volunteers_utilization * 100, 1);
    // comparison: mean utilization over the range, SQL
    await expectShown(
      `compare-${campaign.id}-VOLUNTEERS_UTILIZATION`,
      (await meanUtilization(campaign.id, range)) * 100,
      1,
    );
    // series panels: direct GraphQL reads with the range PostgreSQL computes for the zone
    const expected = await expectedPanels(campaign.id, range, null);
    expect(expected.days).toBe(30);
    await expectShown('impact-buckets', expected.days);
    await expectShown('impact-sessions', expected.sessions);
    for (const [index, value] of expected.byDayOfWeek.entries())
      await expectShown(`heatmap-dow-${index + 1}`, value);
    await expectShown('heatmap-total', total(expected.byDayOfWeek));
    const series = await trend(campaign.id, range, 'DAY');
    await expectShown('trend-buckets', series.timestamps.length);
    await expectShown('trend-volunteers', lastOf(valuesOf(series, 'VOLUNTEERS_CURRENT')) ?? Number.NaN);
    // forecast, alerts, engagement
    const forecast = await executeOk<ForecastQuery>(db.gateway, print(ForecastDocument), {
      id: campaign.id,
      metric: 'VOLUNTEERS_CURRENT',
      horizonDays: 30,
      target: 1,
    });
    const projection = forecast.campaign?.forecast;
    expect(projection).toBeTruthy();
    await expectShown('forecast-slope', projection?.slopePerDay ?? Number.NaN, 2);
    await expectShown('forecast-end', projection?.points.at(-1)?.value ?? Number.NaN, 1);
    const alerts = await executeOk<CapacityAlertsWidgetQuery>(
      db.gateway,
      print(CapacityAlertsWidgetDocument),
      {},
    );
    await expectShown('alerts-total', alerts.capacityAlerts.totalCount);
    expect(await page.getByTestId('alert-row').count()).toBe(Math.min(20, alerts.capacityAlerts.totalCount));
    const engagement = await executeOk<EngagementTableQuery>(db.gateway, print(EngagementTableDocument), {});
    for (const { node } of engagement.campaigns.edges) {
      const rate = node.latestSnapshot?.engagement?.volunteerRetentionRate;
      if (typeof rate === 'number') await expectShown(`engagement-${node.id}-retention`, rate * 100, 1);
    }
    // radar: one value per outcome dimension
    expect(
      await page.locator('[data-testid^="radar-"]:not([data-testid="radar-chart"])').count(),
    ).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
  });

  it('changing the campaign changes the numbers shown', async () => {
    const before = await selected();
    const other = campaigns.find((campaign) => campaign.status === 'ACTIVE' && campaign.id !== before.id);
    if (!other) throw new Error('the seed has one active campaign only');
    const [latestBefore, latestOther] = [await latestSnapshot(before.id), await latestSnapshot(other.id)];
    await page.getByTestId('control-campaign').selectOption(other.id);
    await settle();
    await expectShown('kpi-volunteers', latestOther.volunteers);
    await expectShown('kpi-budget-spent', Number(latestOther.spent), 2);
    expect(latestOther.spent).not.toBe(latestBefore.spent);
    const range = await rangeFor(DEFAULT_FROM, DEFAULT_TO, other.time_zone);
    const expected = await expectedPanels(other.id, range, null);
    await expectShown('impact-sessions', expected.sessions);
    await expectShown('heatmap-total', total(expected.byDayOfWeek));
    await expectShown(
      `compare-${other.id}-VOLUNTEERS_UTILIZATION`,
      (await meanUtilization(other.id, range)) * 100,
      1,
    );
    expect(new URL(page.url()).searchParams.get('campaign')).toBe(other.id);
  });

  it('changing the date range changes the numbers shown', async () => {
    const campaign = await selected();
    const shortFrom = '2026-05-25';
    await page.getByTestId('control-from').fill(shortFrom);
    await settle();
    const range = await rangeFor(shortFrom, DEFAULT_TO, campaign.time_zone);
    const expected = await expectedPanels(campaign.id, range, null);
    expect(expected.days).toBe(7);
    await expectShown('impact-buckets', 7);
    await expectShown('impact-sessions', expected.sessions);
    await expectShown('trend-buckets', (await trend(campaign.id, range, 'DAY')).timestamps.length);
    await expectShown(
      `compare-${campaign.id}-VOLUNTEERS_UTILIZATION`,
      (await meanUtilization(campaign.id, range)) * 100,
      1,
    );
    await expectShown('heatmap-total', total(expected.byDayOfWeek));
  });

  it('changing the granularity changes the buckets shown', async () => {
    const campaign = await selected();
    await page.getByTestId('control-from').fill(DEFAULT_FROM);
    await settle();
    const range = await rangeFor(DEFAULT_FROM, DEFAULT_TO, campaign.time_zone);
    const daily = await trend(campaign.id, range, 'DAY');
    await expectShown('trend-buckets', daily.timestamps.length);
    await page.getByTestId('control-granularity').selectOption('WEEK');
    await settle();
    const weekly = await trend(campaign.id, range, 'WEEK');
    expect(weekly.timestamps.length).toBeLessThan(daily.timestamps.length);
    await expectShown('trend-buckets', weekly.timestamps.length);
    await expectShown(
      'trend-volunteers-peak',
      Math.max(...valuesOf(weekly, 'VOLUNTEERS_CURRENT').map((value) => value ?? 0)),
    );
    // the impact series follows the control: weekly buckets and the mean of their means
    const [dailyImpact, weeklyImpact] = [
      await expectedPanels(campaign.id, range, null, 'DAY'),
      await expectedPanels(campaign.id, range, null, 'WEEK'),
    ];
    expect(weeklyImpact.days).toBe(weekly.timestamps.length);
    expect(weeklyImpact.sroiMean.toFixed(2)).not.toBe(dailyImpact.sroiMean.toFixed(2));
    await expectShown('impact-buckets', weeklyImpact.days);
    await expectShown('impact-sroi-mean', weeklyImpact.sroiMean, 2);
    // budget burn: spend between the first and last weekly bucket
    const burn = await executeOk<BudgetBurnQuery>(db.gateway, print(BudgetBurnDocument), {
      id: campaign.id,
      ...range,
      granularity: 'WEEK',
    });
    const spent = valuesOf(burn.campaign?.series ?? { columns: [] }, 'BUDGET_SPENT').filter(
      (value) => value !== null,
    );
    expect(spent.length).toBe(weekly.timestamps.length);
    await expectShown('burn-range-spend', (spent.at(-1) ?? 0) - (spent[0] ?? 0), 2);
    // engagement: sessions in each campaign's latest week
    const engagement = await executeOk<EngagementTableQuery>(db.gateway, print(EngagementTableDocument), {
      granularity: 'WEEK',
    });
    for (const { node } of engagement.campaigns.edges) {
      const week = node.latestPeriod.edges[0]?.node;
      expect(week?.granularity).toBe('WEEK');
      if (typeof week?.sessions === 'number')
        await expectShown(`engagement-${node.id}-period-sessions`, week.sessions);
    }
  });

  it('changing the time zone changes the days and the heatmap shown', async () => {
    const campaign = await selected();
    const zone = campaign.time_zone === 'Asia/Tokyo' ? 'America/Los_Angeles' : 'Asia/Tokyo';
    const before = await expectedPanels(
      campaign.id,
      await rangeFor(DEFAULT_FROM, DEFAULT_TO, campaign.time_zone),
      null,
    );
    await page.getByTestId('control-timezone').selectOption(zone);
    await settle();
    const granularity = await page.getByTestId('control-granularity').inputValue();
    const after = await expectedPanels(
      campaign.id,
      await rangeFor(DEFAULT_FROM, DEFAULT_TO, zone),
      zone,
      granularity,
    );
    expect(after.zone).toBe(zone);
    expect(after.byDayOfWeek).not.toEqual(before.byDayOfWeek);
    await expect.poll(() => page.getByTestId('impact-zone').textContent()).toBe(zone);
    for (const [index, value] of after.byDayOfWeek.entries())
      await expectShown(`heatmap-dow-${index + 1}`, value);
    await expectShown('impact-sessions', after.sessions);
    expect(consoleErrors).toEqual([]);
  });

  it('saves screenshots at laptop and phone widths; one column on a phone', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await settle();
    await page.screenshot({ path: join(artifacts, 'web-dashboard-laptop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    await settle();
    const boxes = await page.locator('[data-panel]').evaluateAll((panels) =>
      panels.map((panel) => {
        const box = panel.getBoundingClientRect();
        return { left: Math.round(box.left), right: Math.round(box.right) };
      }),
    );
    expect(new Set(boxes.map((box) => box.left)).size).toBe(1);
    expect(Math.max(...boxes.map((box) => box.right))).toBeLessThanOrEqual(390);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(artifacts, 'web-dashboard-phone.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  it('shows loading and error states per panel', async () => {
    const other = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await other.route('**/graphql', async (route) => {
      const body = route.request().postData() ?? '';
      if (body.includes('query Forecast')) {
        await route.fulfill({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({ errors: [{ message: 'forecast service down' }] }),
        });
      } else if (body.includes('query CapacityGauge')) {
        await held;
        await route.continue();
      } else {
        await route.continue();
      }
    });
    await other.goto(`${base}/`);
    await other.locator('[data-panel="gauge"][data-state="loading"]').waitFor({ timeout: 15_000 });
    await other.locator('[data-panel="forecast"][data-state="error"]').waitFor({ timeout: 15_000 });
    expect(await other.locator('[data-panel="forecast"] [role="alert"]').textContent()).toContain(
      'forecast service down',
    );
    release();
    await other.locator('[data-panel="gauge"][data-state="ready"]').waitFor({ timeout: 15_000 });
    await other.screenshot({ path: join(artifacts, 'web-dashboard-error-state.png') });
    await other.close();
  });

  it('shows an alert raised while the page is open, live over SSE', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await settle();
    await expect.poll(() => page.getByTestId('alerts-live').getAttribute('data-state')).toBe('live');
    const campaign = await selected();
    // after the seed's last snapshot: the campaign's new latest one
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($input: [SnapshotInput!]!) { recordSnapshots(input: $input) { recorded } }',
        variables: {
          input: [
            {
              campaignId: campaign.id,
              snapshotDate: '2026-06-01T06:00:00Z',
              volunteers: { current: 130, target: 50 },
              beneficiaries: { current: 5, target: 100 },
              sessions: { current: 39, target: 40 },
              budget: { allocated: '1000.00', spent: '10.00' },
            },
          ],
        },
      }),
    });
    expect(await response.json()).toEqual({ data: { recordSnapshots: { recorded: 1 } } });
    // 130 / 50 = 2.6: CRITICAL, above every seeded alert, so first in the list
    const volunteers = page.locator(
      `[data-testid="alert-row"][data-campaign="${campaign.id}"][data-resource="VOLUNTEERS"]`,
    );
    await expect.poll(() => volunteers.getAttribute('data-live'), { timeout: 15_000 }).toBe('true');
    expect(await volunteers.locator('.alert-value').textContent()).toBe('260.0 %');
    expect(await volunteers.locator('.badge').textContent()).toBe('CRITICAL');
    expect(await volunteers.locator('.alert-campaign').textContent()).toBe(campaign.name);
    expect(await page.getByTestId('alert-row').first().getAttribute('data-campaign')).toBe(campaign.id);
    // the list converges on the server's: the campaign's older alerts replaced, 39 / 40 = 97.5 %
    const alerts = await executeOk<CapacityAlertsWidgetQuery>(
      db.gateway,
      print(CapacityAlertsWidgetDocument),
      {},
    );
    const sessions = alerts.capacityAlerts.edges.find(
      ({ node }) => node.campaign.id === campaign.id && node.resource === 'SESSIONS',
    );
    expect(sessions?.node.utilization).toBe(0.975);
    await expectShown('alerts-total', alerts.capacityAlerts.totalCount);
    await expect
      .poll(() =>
        page
          .getByTestId('alert-row')
          .evaluateAll((rows) => rows.map((row) => `${row.dataset.campaign}/${row.dataset.resource}`)),
      )
      .toEqual(alerts.capacityAlerts.edges.map(({ node }) => `${node.campaign.id}/${node.resource}`));
    const sessionsRow = page.locator(
      `[data-testid="alert-row"][data-campaign="${campaign.id}"][data-resource="SESSIONS"]`,
    );
    expect(await sessionsRow.getAttribute('data-live')).toBe('true');
    expect(await sessionsRow.locator('.alert-value').textContent()).toBe('97.5 %');
    await page.screenshot({ path: join(artifacts, 'web-dashboard-live-alert.png') });
    expect(consoleErrors).toEqual([]);
  });
});

describe('behind auth, persisted documents only', () => {
  it('asks for a token, then shows every panel through persisted documents', async () => {
    const secured = await serveOverHttp(
      createQuietGateway({
        db: db.handle.db,
        webRoot: outDir,
        settings: {
          auth: HS256_AUTH,
          limits: { ...loadConfig({}).limits, persistedOperationsOnly: true },
        },
      }),
    );
    const securedPage = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const requests: string[] = [];
    securedPage.on('request', (request) => {
      if (request.url().endsWith('/graphql')) requests.push(request.headers().authorization ?? 'none');
    });
    try {
      await securedPage.goto(`${secured.url}/`);
      await securedPage.getByTestId('token-form').waitFor({ timeout: 15_000 });
      expect(await securedPage.getByTestId('page-error').textContent()).toContain('authentication required');
      // The seed writes every campaign to the default tenant.
      const token = await hs256Token({ sub: 'dashboard-user', tenants: ['default'], role: 'viewer' });
      await securedPage.getByTestId('token-input').fill(token);
      await securedPage.getByRole('button', { name: 'Use token' }).click();
      await securedPage.waitForFunction(
        (count) => document.querySelectorAll('[data-panel][data-state="ready"]').length === count,
        PANELS.length,
        { timeout: 30_000 },
      );
      expect(await securedPage.getByTestId('control-campaign').locator('option').count()).toBe(
        campaigns.length,
      );
      expect(await securedPage.locator('[data-state="error"]').count()).toBe(0);
      expect(requests.at(-1)).toBe(`Bearer ${token}`);
    } finally {
      await securedPage.close();
      await secured.close();
    }
  });
});
