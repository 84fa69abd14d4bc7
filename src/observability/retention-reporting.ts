import type { RetentionSchedulerOptions } from '../retention/scheduler.js';
import type { Logger } from './logger.js';
import { retentionRuns } from './metrics.js';

/** The scheduler's callbacks in the server: each run is one log line and one count by outcome. */
export function retentionReporting(logger: Logger): Pick<RetentionSchedulerOptions, 'onReport' | 'onError'> {
  const log = logger.child({ job: 'retention' });
  return {
    onReport: (report) => {
      if (report.skipped) {
        retentionRuns.inc({ outcome: 'skipped' });
        log.info('retention skipped: another instance holds the lock');
      } else {
        retentionRuns.inc({ outcome: 'completed' });
        log.info({ report }, 'retention run completed');
      }
    },
    onError: (error) => {
      retentionRuns.inc({ outcome: 'failed' });
      log.error({ err: error }, 'retention run failed');
    },
  };
}
