import type { GraphQLResolveInfo } from 'graphql';
import type { SnapshotBucket } from '../metrics/bucket-stats.js';
import type { Granularity } from '../metrics/catalog.js';
import type { SnapshotBucketsQuery } from '../queries/snapshot-buckets.js';
import { builder } from './builder.js';
import { Campaign } from './campaign.js';
import { planBucketsWithCampaign, type ZonedArgs } from './campaign-lookahead.js';
import { decodeBucketCursor, encodeBucketCursor } from './cursor.js';
import { GranularityEnum } from './enums.js';
import { type PageArgs, pageComplexity, pageRequest } from './pagination.js';
import { checkRange } from './range.js';
import { selectsField } from './selection.js';
import { MetricsSnapshot } from './snapshot.js';
import { snapshotSelection } from './snapshot-selection.js';

interface SnapshotsArgs extends PageArgs, ZonedArgs {
  from?: Date | null;
  to?: Date | null;
  granularity?: Granularity | null;
  after?: string | null;
  before?: string | null;
}

/**
 * The page and bucket query of a snapshots connection whose buckets follow `timeZone` (null:
 * the campaign's, not known yet, when no cursor needs it): shared by the field and
 * Query.campaign's look-ahead.
 */
function snapshotsRequest(args: SnapshotsArgs, timeZone: string | null, info: GraphQLResolveInfo) {
  const page = pageRequest(args);
  checkRange(args.from, args.to);
  const granularity = args.granularity ?? 'RAW';
  const cursor = (value: string | null | undefined, argument: 'after' | 'before') => {
    if (!value) return undefined;
    if (timeZone === null) throw new Error('a bucket cursor is decoded in a known zone');
    return decodeBucketCursor(value, granularity, timeZone, argument);
  };
  const query: SnapshotBucketsQuery = {
    from: args.from ?? undefined,
    to: args.to ?? undefined,
    granularity,
    selection: snapshotSelection(info, ['edges', 'node']),
    after: cursor(args.after, 'after'),
    before: cursor(args.before, 'before'),
    descending: page.backward,
    limit: page.size + 1,
    withTotalCount: selectsField(info, 'totalCount'),
  };
  return { page, granularity, query };
}

/**
 * An edge of a snapshots page. Its cursor is encoded when read: about 2.5 us each (JSON and
 * base64), 130 us for a year of week buckets, and a chart's page of buckets rarely asks.
 */
class BucketEdge {
  constructor(
    readonly node: SnapshotBucket,
    private readonly granularity: Granularity,
    private readonly timeZone: string,
  ) {}

  get cursor(): string {
    return encodeBucketCursor(this.granularity, this.timeZone, this.node.start);
  }
}

planBucketsWithCampaign<SnapshotsArgs>('snapshots', (args, timeZone, info) =>
  // a cursor names a bucket in the buckets' zone: without the argument, the campaign's
  timeZone === null && (args.after || args.before) ? undefined : snapshotsRequest(args, timeZone, info).query,
);

builder.drizzleObjectField(Campaign, 'snapshots', (t) =>
  t.connection(
    {
      type: MetricsSnapshot,
      complexity: pageComplexity,
      description:
        'Newest last. first/after page forward, last/before backward (default page 100, at most 1000). ' +
        'Each node reports the granularity it really has.',
      args: {
        from: t.arg({ type: 'DateTime' }),
        to: t.arg({ type: 'DateTime' }),
        granularity: t.arg({ type: GranularityEnum, defaultValue: 'RAW' }),
        timeZone: t.arg({ type: 'TimeZone' }),
      },
      resolve: async (campaign, args, ctx, info) => {
        const timeZone = args.timeZone ?? campaign.timeZone;
        const { page, granularity, query } = snapshotsRequest(args, timeZone, info);
        const { buckets, totalCount } = await ctx.loaders.snapshotBuckets.load({
          campaignId: campaign.id,
          timeZone,
          query,
        });
        // One row past the page tells whether more exist; it is the oldest when paging back.
        const more = buckets.length > page.size;
        const nodes = more ? (page.backward ? buckets.slice(1) : buckets.slice(0, page.size)) : buckets;
        const edges = nodes.map((node) => new BucketEdge(node, granularity, timeZone));
        return {
          edges,
          totalCount: totalCount ?? 0,
          pageInfo: {
            hasNextPage: page.backward ? args.before != null : more,
            hasPreviousPage: page.backward ? more : args.after != null,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
    },
    {
      name: 'SnapshotConnection',
      fields: (c) => ({ totalCount: c.int({ resolve: (connection) => connection.totalCount }) }),
    },
    { name: 'SnapshotEdge' },
  ),
);
