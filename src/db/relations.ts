import { defineRelations } from 'drizzle-orm';
import * as schema from './schema/index.js';

export const relations = defineRelations(schema, (r) => ({
  campaigns: {
    snapshots: r.many.campaignMetricsSnapshots(),
  },
  campaignMetricsSnapshots: {
    campaign: r.one.campaigns({
      from: r.campaignMetricsSnapshots.campaignId,
      to: r.campaigns.id,
      optional: false,
    }),
  },
}));
