import { BURN_STATUSES } from '../metrics/burn-rate.js';
import { SNAPSHOT_CADENCES } from '../metrics/cadence.js';
import { ALERT_SEVERITIES, CAPACITY_RESOURCES } from '../metrics/capacity-alerts.js';
import { CAMPAIGN_STATUSES, GAP_FILLS, GRANULARITIES, METRIC_NAMES, STATS } from '../metrics/catalog.js';
import { builder } from './builder.js';

export const CampaignStatusEnum = builder.enumType('CampaignStatus', { values: CAMPAIGN_STATUSES });
export const GranularityEnum = builder.enumType('Granularity', { values: GRANULARITIES });
export const SnapshotCadenceEnum = builder.enumType('SnapshotCadence', { values: SNAPSHOT_CADENCES });
export const StatEnum = builder.enumType('Stat', { values: STATS });
export const GapFillEnum = builder.enumType('GapFill', { values: GAP_FILLS });
export const MetricEnum = builder.enumType('Metric', { values: METRIC_NAMES });
export const CapacityResourceEnum = builder.enumType('CapacityResource', { values: CAPACITY_RESOURCES });
export const AlertSeverityEnum = builder.enumType('AlertSeverity', { values: ALERT_SEVERITIES });
export const BurnStatusEnum = builder.enumType('BurnStatus', { values: BURN_STATUSES });
