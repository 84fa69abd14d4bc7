import {
  type FieldNode,
  type GraphQLField,
  type GraphQLResolveInfo,
  getArgumentValues,
  isObjectType,
} from 'graphql';
import type { LatestSnapshotRequest } from '../loaders/campaign-loaders.js';
import {
  type BucketSelection,
  bucketSelection,
  FULL_SELECTION,
  needsPrevious,
} from '../metrics/bucket-selection.js';
import type { Metric, Stat } from '../metrics/catalog.js';
import type { RawSnapshotParts } from '../queries/snapshot-rows.js';
import { subfields } from './selection.js';
import { DETAIL_FIELDS, GROUPED_FIELDS } from './snapshot.js';

/** MetricsSnapshot fields that need no computed value. */
const PLAIN_FIELDS = new Set(['__typename', 'snapshotDate', 'granularity', 'timeZone', 'sampleCount']);
const DETAILS = new Set<string>(DETAIL_FIELDS);

function valueField(info: GraphQLResolveInfo): GraphQLField<unknown, unknown> {
  const type = info.schema.getType('MetricsSnapshot');
  const field = isObjectType(type) ? type.getFields().value : undefined;
  if (!field) throw new Error('MetricsSnapshot.value is missing from the schema');
  return field;
}

/**
 * What the MetricsSnapshot objects under the current field (at `path`, e.g. edges.node)
 * read: per metric the statistics of value(metric, stat) (arguments and variables as
 * GraphQL coerces them) and the LAST values of the grouped fields, and whether a field
 * reads full_snapshot. @skip/@include are not evaluated: a skipped field only widens the
 * selection. A field this walk does not know reads everything.
 */
export function snapshotSelection(info: GraphQLResolveInfo, path: readonly string[] = []): BucketSelection {
  // A list resolves the same field once per item with the same field nodes and variables:
  // walk the selection once per request, not once per campaign.
  let byVariables = memoizedSelections.get(info.fieldNodes);
  if (!byVariables) {
    byVariables = new WeakMap();
    memoizedSelections.set(info.fieldNodes, byVariables);
  }
  let byPath = byVariables.get(info.variableValues);
  if (!byPath) {
    byPath = new Map();
    byVariables.set(info.variableValues, byPath);
  }
  const key = path.join('.');
  const known = byPath.get(key);
  if (known) return known;
  const selection = walkSnapshotSelection(info, path);
  byPath.set(key, selection);
  return selection;
}

/** Selections by field nodes (one parsed document's), then by the request's variables, then by path. */
const memoizedSelections = new WeakMap<
  readonly FieldNode[],
  WeakMap<GraphQLResolveInfo['variableValues'], Map<string, BucketSelection>>
>();

function walkSnapshotSelection(info: GraphQLResolveInfo, path: readonly string[]): BucketSelection {
  let nodes: readonly FieldNode[] = info.fieldNodes;
  for (const name of path) nodes = subfields(info, nodes).filter((field) => field.name.value === name);
  const asked: [Metric, Stat][] = [];
  let details = false;
  for (const field of subfields(info, nodes)) {
    const name = field.name.value;
    if (PLAIN_FIELDS.has(name)) continue;
    if (DETAILS.has(name)) {
      details = true;
    } else if (name === 'value') {
      const args = getArgumentValues(valueField(info), field, info.variableValues);
      asked.push([args.metric as Metric, (args.stat ?? 'LAST') as Stat]);
    } else if (Object.hasOwn(GROUPED_FIELDS, name)) {
      const group: Record<string, Metric> = GROUPED_FIELDS[name as keyof typeof GROUPED_FIELDS];
      for (const sub of subfields(info, [field])) {
        const metric = Object.hasOwn(group, sub.name.value) ? group[sub.name.value] : undefined;
        if (metric) asked.push([metric, 'LAST']);
        else if (sub.name.value !== '__typename') return FULL_SELECTION;
      }
    } else {
      return FULL_SELECTION;
    }
  }
  return bucketSelection(asked, details);
}

/**
 * Campaign.latestSnapshot: the metrics its fields read, the snapshot before it only for
 * DELTA, full_snapshot only when read. `path` reaches the field from an ancestor's info
 * (Query.campaign prefetches it).
 */
export function latestSnapshotRequest(
  campaignId: string,
  info: GraphQLResolveInfo,
  path: readonly string[] = [],
): LatestSnapshotRequest {
  return { campaignId, ...latestSnapshotParts(info, path) };
}

/** Per memoised selection, so every campaign of a page shares one parts object and metrics array. */
const partsBySelection = new WeakMap<BucketSelection, RawSnapshotParts>();

/** What Campaign.latestSnapshot at `path` reads, one object per selection (see latestSnapshotRequest). */
export function latestSnapshotParts(
  info: GraphQLResolveInfo,
  path: readonly string[] = [],
): RawSnapshotParts {
  const selection = snapshotSelection(info, path);
  let parts = partsBySelection.get(selection);
  if (!parts) {
    parts = {
      previous: needsPrevious(selection),
      details: selection.details,
      metrics: selection.metrics.map(({ definition }) => definition),
    };
    partsBySelection.set(selection, parts);
  }
  return parts;
}
