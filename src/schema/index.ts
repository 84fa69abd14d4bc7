import { builder } from './builder.js';
import './scalars.js';
import './campaign.js';
import './snapshot.js';
import './snapshot-history.js';
import './series.js';
import './snapshot-ingest.js';
import './alerts.js';
import './comparison.js';
import './budget-burn.js';
import './forecast.js';
import './activity-heatmap.js';
import './year-over-year.js';

builder.queryType({});
builder.mutationType({});

export const schema = builder.toSchema({ sortSchema: false });
