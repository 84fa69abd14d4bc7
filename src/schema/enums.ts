import { SNAPSHOT_CADENCES } from '../metrics/cadence.js';
import { CAMPAIGN_STATUSES, GAP_FILLS, GRANULARITIES, METRIC_NAMES, STATS } from '../metrics/catalog.js';
import { builder } from './builder.js';

export const CampaignStatusEnum = builder.enumType('CampaignStatus', { values: CAMPAIGN_STATUSES });
export const GranularityEnum = builder.enumType('Granularity', { values: GRANULARITIES });
export const SnapshotCadenceEnum = builder.enumType('SnapshotCadence', { values: SNAPSHOT_CADENCES });
export const StatEnum = builder.enumType('Stat', { values: STATS });
export const GapFillEnum = builder.enumType('GapFill', { values: GAP_FILLS });
export const MetricEnum = builder.enumType('Metric', { values: METRIC_NAMES });
