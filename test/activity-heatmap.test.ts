import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_SNAPSHOTS, snapshotInput, UPSERT_CAMPAIGN } from './fixtures/snapshot-inputs.js';
import { createTestDatabase, execute, executeOk, type TestDatabase } from './helpers/test-database.js';

let db: TestDatabase;

async function campaignWith(
  timeZone: string,
  snapshots: { at: string; sessions?: number | null; spent?: string }[],
): Promise<string> {
  const data = await executeOk(db.gateway, UPSERT_CAMPAIGN, {
    input: { name: 'Heatmap', status: 'ACTIVE', timeZone },
  });
  const id: string = data.upsertCampaign.id;
  await executeOk(db.gateway, RECORD_SNAPSHOTS, {
    input: snapshots.map(({ at, sessions, spent }) =>
      snapshotInput(id, { at, sessionsCompleted: sessions ?? null, spent }),
    ),
  });
  return id;
}

const HEATMAP = /* GraphQL */ `
  query Heatmap($id: ID!, $from: DateTime!, $to: DateTime!, $timeZone: TimeZone, $metric: Metric) {
    campaign(id: $id) {
      activityHeatmap(from: $from, to: $to, timeZone: $timeZone, metric: $metric) {
        metric timeZone cells { dayOfWeek hour value } byDayOfWeek
      }
    }
  }
`;
interface Cell {
  dayOfWeek: number;
  hour: number;
  value: number;
}
async function heatmap(variables: Record<string, unknown>) {
  const data = await executeOk(db.gateway, HEATMAP, variables);
  return data.campaign.activityHeatmap as {
    metric: string;
    timeZone: string;
    cells: Cell[];
    byDayOfWeek: number[];
  };
}
/** The non-zero cells as "day-hour" -> value. */
const nonZero = (cells: Cell[]) =>
  Object.fromEntries(cells.filter((c) => c.value !== 0).map((c) => [`${c.dayOfWeek}-${c.hour}`, c.value]));

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

describe('Campaign.activityHeatmap across DST in Europe/Berlin', () => {
  let id: string;
  beforeAll(async () => {
    id = await campaignWith('Europe/Berlin', [
      // spring forward: 2024-03-31 (Sunday) 01:00Z, 02:00 CET -> 03:00 CEST
      { at: '2024-03-30T21:30:00Z', sessions: 10 }, // before `from`: the first one's predecessor
      { at: '2024-03-30T22:30:00Z', sessions: 13 }, // Sat 23:30 CET: +3
      { at: '2024-03-30T23:30:00Z', sessions: 20 }, // Sun 00:30 CET: +7
      { at: '2024-03-31T00:30:00Z', sessions: 21 }, // Sun 01:30 CET: +1
      { at: '2024-03-31T01:30:00Z', sessions: 25 }, // Sun 03:30 CEST: +4 (no 02:xx that night)
      { at: '2024-03-31T02:00:00Z', sessions: null }, // no value: skipped
      { at: '2024-03-31T02:30:00Z', sessions: 30 }, // Sun 04:30 CEST: +5 (from 25)
      { at: '2024-03-31T03:30:00Z', sessions: 100 }, // after `to`
      // fall back: 2024-10-27 (Sunday) 01:00Z, 03:00 CEST -> 02:00 CET
      { at: '2024-10-26T22:00:00Z', sessions: 50 }, // before `from`
      { at: '2024-10-26T23:30:00Z', sessions: 52 }, // Sun 01:30 CEST: +2
      { at: '2024-10-27T00:15:00Z', sessions: 55 }, // Sun 02:15 CEST: +3
      { at: '2024-10-27T01:15:00Z', sessions: 61 }, // Sun 02:15 CET: +6, the same local hour
      { at: '2024-10-27T02:15:00Z', sessions: 62 }, // Sun 03:15 CET: +1
    ]);
  });

  it('spring forward: the skipped hour stays 0, the first increment reaches before `from`', async () => {
    const result = await heatmap({ id, from: '2024-03-30T22:00:00Z', to: '2024-03-31T03:00:00Z' });
    expect(result.metric).toBe('TOTAL_SESSIONS_COMPLETED');
    expect(result.timeZone).toBe('Europe/Berlin');
    expect(result.cells).toHaveLength(168);
    expect(result.cells.slice(0, 2)).toEqual([
      { dayOfWeek: 1, hour: 0, value: 0 },
      { dayOfWeek: 1, hour: 1, value: 0 },
    ]);
    expect(nonZero(result.cells)).toEqual({ '6-23': 3, '7-0': 7, '7-1': 1, '7-3': 4, '7-4': 5 });
    expect(result.byDayOfWeek).toEqual([0, 0, 0, 0, 0, 3, 17]);
  });

  it('fall back: both occurrences of 02:xx land in hour 2', async () => {
    const result = await heatmap({ id, from: '2024-10-26T23:00:00Z', to: '2024-10-27T03:00:00Z' });
    expect(nonZero(result.cells)).toEqual({ '7-1': 2, '7-2': 9, '7-3': 1 });
    expect(result.byDayOfWeek).toEqual([0, 0, 0, 0, 0, 0, 12]);
  });

  it('reads weekdays and hours in the zone asked for', async () => {
    const result = await heatmap({
      id,
      from: '2024-03-30T22:00:00Z',
      to: '2024-03-31T03:00:00Z',
      timeZone: 'UTC',
    });
    expect(result.timeZone).toBe('UTC');
    expect(nonZero(result.cells)).toEqual({ '6-22': 3, '6-23': 7, '7-0': 1, '7-1': 4, '7-2': 5 });
    expect(result.byDayOfWeek).toEqual([0, 0, 0, 0, 0, 10, 10]);
  });

  it('gives all 168 zeros for a range without snapshots', async () => {
    const result = await heatmap({ id, from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' });
    expect(result.cells).toHaveLength(168);
    expect(result.cells.every((c) => c.value === 0)).toBe(true);
    expect(result.byDayOfWeek).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('Campaign.activityHeatmap in a :30 zone', () => {
  it('puts 18:29Z on Monday 23:xx and 18:30Z on Tuesday 00:xx in Asia/Kolkata (+05:30)', async () => {
    const id = await campaignWith('Asia/Kolkata', [
      { at: '2024-01-01T12:00:00Z', sessions: 0 }, // Mon 17:30
      { at: '2024-01-01T18:29:00Z', sessions: 4 }, // Mon 23:59: +4
      { at: '2024-01-01T18:30:00Z', sessions: 6 }, // Tue 00:00: +2
      { at: '2024-01-02T04:00:00Z', sessions: 16 }, // Tue 09:30: +10
    ]);
    const result = await heatmap({ id, from: '2024-01-01T00:00:00Z', to: '2024-01-08T00:00:00Z' });
    expect(nonZero(result.cells)).toEqual({ '1-23': 4, '2-0': 2, '2-9': 10 });
    expect(result.byDayOfWeek).toEqual([4, 12, 0, 0, 0, 0, 0]);
  });

  it('sums decimal increments exactly (BUDGET_SPENT)', async () => {
    const id = await campaignWith('Asia/Kolkata', [
      { at: '2024-01-01T00:00:00Z', spent: '0.10' }, // Mon 05:30
      { at: '2024-01-01T00:10:00Z', spent: '0.20' }, // +0.10, Mon 05:40
      { at: '2024-01-01T00:20:00Z', spent: '0.40' }, // +0.20, Mon 05:50
    ]);
    const result = await heatmap({
      id,
      from: '2024-01-01T00:00:00Z',
      to: '2024-01-02T00:00:00Z',
      metric: 'BUDGET_SPENT',
    });
    expect(nonZero(result.cells)).toEqual({ '1-5': 0.3 }); // not 0.30000000000000004
  });
});

describe('Campaign.activityHeatmap against a naive implementation', () => {
  it('agrees cell by cell on irregular snapshots over five weeks in America/New_York', async () => {
    // deterministic pseudo-random instants and increments (a small LCG)
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const start = Date.parse('2024-02-26T00:00:00Z');
    const samples: { at: number; sessions: number | null }[] = [];
    let at = start;
    let total = 0;
    for (let i = 0; i < 300; i++) {
      at += Math.floor(next() * 5 * 3_600_000) + 60_000;
      total += Math.floor(next() * 10) - 1; // mostly up, sometimes down by 1
      samples.push({ at, sessions: next() < 0.1 ? null : total });
    }
    const id = await campaignWith(
      'America/New_York',
      samples.map((s) => ({ at: new Date(s.at).toISOString(), sessions: s.sessions })),
    );
    const from = new Date(start + 7 * 86_400_000); // the week before is only predecessors
    const to = new Date(samples[250]?.at ?? 0);

    // naive: walk the snapshots with a value in time order, attribute each increment inside [from, to)
    const weekday = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', weekday: 'short' });
    const hour = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      hour: 'numeric',
      hourCycle: 'h23',
    });
    const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    const expected = new Map<string, number>();
    const byDay = [0, 0, 0, 0, 0, 0, 0];
    let previous: number | null = null;
    for (const sample of samples) {
      if (sample.sessions === null) continue;
      if (sample.at >= from.getTime() && sample.at < to.getTime() && previous !== null) {
        const d = DAYS.indexOf(weekday.format(sample.at)) + 1;
        const h = Number(hour.format(sample.at));
        const key = `${d}-${h}`;
        expected.set(key, (expected.get(key) ?? 0) + sample.sessions - previous);
        byDay[d - 1] = (byDay[d - 1] ?? 0) + sample.sessions - previous;
      }
      previous = sample.sessions;
    }

    const result = await heatmap({ id, from: from.toISOString(), to: to.toISOString() });
    const got = new Map(result.cells.map((c) => [`${c.dayOfWeek}-${c.hour}`, c.value]));
    for (let d = 1; d <= 7; d++) {
      for (let h = 0; h < 24; h++)
        expect(got.get(`${d}-${h}`), `${d}-${h}`).toBe(expected.get(`${d}-${h}`) ?? 0);
    }
    expect(result.byDayOfWeek).toEqual(byDay);
    expect(expected.size).toBeGreaterThan(50); // the data spreads over many cells
  });
});

describe('Campaign.activityHeatmap bad input', () => {
  it('rejects an empty range, naming `to`', async () => {
    const id = await campaignWith('UTC', []);
    const result = await execute(db.gateway, HEATMAP, {
      id,
      from: '2024-01-02T00:00:00Z',
      to: '2024-01-01T00:00:00Z',
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const zone = await execute(db.gateway, HEATMAP, {
      id,
      from: '2024-01-01T00:00:00Z',
      to: '2024-01-02T00:00:00Z',
      timeZone: 'Mars/Olympus',
    });
    expect(zone.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
