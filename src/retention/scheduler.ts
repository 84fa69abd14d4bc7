import type { Database } from '../db/client.js';
import { type RetentionReport, runRetention } from './run-retention.js';
import type { RetentionSettings } from './settings.js';

export interface RetentionSchedulerOptions {
  db: Database;
  settings: RetentionSettings;
  /** minutes between runs; 0 starts nothing */
  intervalMinutes: number;
  /** a run's outcome (the server logs it) */
  onReport?: (report: RetentionReport) => void;
  onError?: (error: unknown) => void;
  /** A run changed a campaign's stored rows (the server invalidates its cached answers). */
  onCampaignChanged?: (campaignId: string) => void;
  /**
   * Runs each retention run as a write (main.ts: the read router's trackWrite, so that replica
   * answers from before the run are not cached after it); default: runs it as it is.
   */
  asWrite?: <T>(run: () => Promise<T>) => Promise<T>;
}

export interface RetentionScheduler {
  /** Stops scheduling and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Runs retention every `intervalMinutes` inside the server, the first run one interval
 * after start. Every instance may schedule: the advisory lock lets one run at a time and
 * the others report skipped. Timers are unref'd so they never keep the process alive.
 */
export function startRetentionScheduler({
  db,
  settings,
  intervalMinutes,
  onReport,
  onError,
  onCampaignChanged,
  asWrite = (run) => run(),
}: RetentionSchedulerOptions): RetentionScheduler {
  if (intervalMinutes <= 0) return { stop: async () => {} };
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(tick, intervalMinutes * 60_000);
    timer.unref();
  };
  const tick = () => {
    running = asWrite(() =>
      runRetention(db, { archive: { url: settings.archiveUrl, s3: settings.s3 }, onCampaignChanged }),
    )
      .then((report) => onReport?.(report))
      .catch((error: unknown) => onError?.(error))
      .finally(() => {
        running = null;
        schedule();
      });
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
