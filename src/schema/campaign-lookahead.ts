import {
  type FieldNode,
  GraphQLIncludeDirective,
  type GraphQLResolveInfo,
  GraphQLSkipDirective,
  getArgumentValues,
  getDirectiveValues,
  isObjectType,
} from 'graphql';
import type { SnapshotBucketsQuery } from '../queries/snapshot-buckets.js';
import { subfields } from './selection.js';

/** The bucket query a Campaign field will send, and the zone its arguments name (null: the campaign's). */
export interface PlannedBuckets {
  timeZone: string | null;
  query: SnapshotBucketsQuery;
}

/** Every planned field may name the zone of its buckets; without it they follow the campaign's. */
export interface ZonedArgs {
  timeZone?: string | null;
}

/**
 * A Campaign field's bucket query from its arguments and the resolve info it will get, given
 * the zone the arguments name (null: the campaign's, not known yet); undefined when the query
 * needs that zone (a cursor in the campaign's zone). Throws where the field refuses its arguments.
 */
type BucketPlanner = (args: Record<string, unknown>, info: GraphQLResolveInfo) => PlannedBuckets | undefined;

const planners = new Map<string, BucketPlanner>();

/**
 * Lets Query.campaign send `fieldName`'s bucket query with the campaign's own lookup. The
 * field's resolver must build its request with the same function as `queryOf`, so that it
 * finds the answer primed in its loader.
 */
export function planBucketsWithCampaign<Args extends ZonedArgs>(
  fieldName: string,
  queryOf: (
    args: Args,
    timeZone: string | null,
    info: GraphQLResolveInfo,
  ) => SnapshotBucketsQuery | undefined,
): void {
  planners.set(fieldName, (args, info) => {
    // getArgumentValues coerced them by the field's own argument definitions: the field's Args
    const fieldArgs = args as Args;
    const timeZone = fieldArgs.timeZone ?? null;
    const query = queryOf(fieldArgs, timeZone, info);
    return query && { timeZone, query };
  });
}

function included(node: FieldNode, variables: GraphQLResolveInfo['variableValues']): boolean {
  return (
    getDirectiveValues(GraphQLSkipDirective, node, variables)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false
  );
}

/**
 * The bucket queries of the Campaign fields under the current field (Query.campaign) that have
 * a planner, each planned with the info graphql-js will resolve it with (its field nodes: every
 * node of the same response key). A field whose arguments its planner refuses is left out: it reports
 * that itself when it runs.
 */
export function plannedCampaignBuckets(info: GraphQLResolveInfo): PlannedBuckets[] {
  const campaignType = info.schema.getType('Campaign');
  if (!isObjectType(campaignType)) return [];
  const byResponseKey = new Map<string, FieldNode[]>();
  for (const node of subfields(info, info.fieldNodes)) {
    if (!planners.has(node.name.value) || !included(node, info.variableValues)) continue;
    const key = node.alias?.value ?? node.name.value;
    byResponseKey.set(key, [...(byResponseKey.get(key) ?? []), node]);
  }
  return [...byResponseKey.values()].flatMap((nodes) => {
    const [first] = nodes as [FieldNode];
    const field = campaignType.getFields()[first.name.value];
    const planner = planners.get(first.name.value);
    if (!field || !planner) return [];
    const fieldInfo: GraphQLResolveInfo = {
      ...info,
      fieldName: field.name,
      fieldNodes: nodes,
      returnType: field.type,
      parentType: campaignType,
      path: { prev: info.path, key: first.alias?.value ?? field.name, typename: campaignType.name },
    };
    try {
      const planned = planner(getArgumentValues(field, first, info.variableValues), fieldInfo);
      return planned ? [planned] : [];
    } catch {
      // refused arguments: the field raises the error with its path when it resolves
      return [];
    }
  });
}
