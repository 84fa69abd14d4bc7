import { describe, expect, it } from 'vitest';
import type { RetentionReport } from '../src/retention/run-retention.js';
import { startRetentionScheduler } from '../src/retention/scheduler.js';
import { databaseWithArchive } from './helpers/retention.js';

const retained = databaseWithArchive();

describe('the retention scheduler', () => {
  it('runs each run inside asWrite (main.ts: the read router counts it as a write)', async () => {
    const events: string[] = [];
    let statementsInside = 0;
    const reported = new Promise<RetentionReport>((resolve, reject) => {
      const scheduler = startRetentionScheduler({
        db: retained.db.handle.db,
        settings: { archiveUrl: retained.archive.url, s3: {} },
        // 60 ms: the first run comes one interval after the start
        intervalMinutes: 0.001,
        asWrite: async (run) => {
          events.push('write begins');
          const before = retained.db.statements.length;
          try {
            return await run();
          } finally {
            statementsInside = retained.db.statements.length - before;
            events.push('write ends');
          }
        },
        onReport: (report) => {
          events.push('report');
          void scheduler.stop().then(() => resolve(report));
        },
        onError: reject,
      });
    });
    const report = await reported;
    expect(report.skipped).toBe(false);
    expect(events.slice(0, 3)).toEqual(['write begins', 'write ends', 'report']);
    // the run's statements (its lock, its look for work) are sent between the two
    expect(statementsInside).toBeGreaterThan(0);
  });
});
