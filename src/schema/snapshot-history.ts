import { builder } from './builder.js';
import { Campaign } from './campaign.js';
import { decodeBucketCursor, encodeBucketCursor } from './cursor.js';
import { GranularityEnum } from './enums.js';
import { pageComplexity, pageRequest } from './pagination.js';
import { checkRange } from './range.js';
import { selectsField } from './selection.js';
import { MetricsSnapshot } from './snapshot.js';
import { snapshotSelection } from './snapshot-selection.js';

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
        const page = pageRequest(args);
        checkRange(args.from, args.to);
        const granularity = args.granularity ?? 'RAW';
        const timeZone = args.timeZone ?? campaign.timeZone;
        const cursor = (value: string | null | undefined, argument: 'after' | 'before') =>
          value ? decodeBucketCursor(value, granularity, timeZone, argument) : undefined;
        const { buckets, totalCount } = await ctx.loaders.snapshotBuckets.load({
          campaignId: campaign.id,
          timeZone,
          query: {
            from: args.from ?? undefined,
            to: args.to ?? undefined,
            granularity,
            selection: snapshotSelection(info, ['edges', 'node']),
            after: cursor(args.after, 'after'),
            before: cursor(args.before, 'before'),
            descending: page.backward,
            limit: page.size + 1,
            withTotalCount: selectsField(info, 'totalCount'),
          },
        });
        // One row past the page tells whether more exist; it is the oldest when paging back.
        const more = buckets.length > page.size;
        const nodes = more ? (page.backward ? buckets.slice(1) : buckets.slice(0, page.size)) : buckets;
        const edges = nodes.map((node) => ({
          cursor: encodeBucketCursor(granularity, timeZone, node.start),
          node,
        }));
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
