// PostGraphile v5 on the benchmark's database: the third side of `npm run bench`.
// Run by the Node 22 binary of the `node` package beside it (PostGraphile needs Node >= 22;
// the gateway stays on Node 20):
//   DATABASE_URL=postgres://... node_modules/.bin/node server.mjs --port 5055
// It listens on 127.0.0.1 only (port 0: any free one), serves POST /graphql, and prints
// "listening <url>" when ready (and sends { listening: url } to a parent process over IPC).
// bench/postgraphile-launcher.ts starts and stops it.
//
// The schema is PostGraphileAmberPreset (tables, relations, connections, conditions, orderBy)
// plus @graphile/pg-aggregates (aggregates and groupedAggregates on every connection), and
// three small additions, each the documented way to extend them:
// - `snapshotDateFrom` / `snapshotDateTo` conditions on campaign_metrics_snapshots, so a range
//   becomes `snapshot_date >= $from AND snapshot_date < $to` on the (campaign_id,
//   snapshot_date) key (amber's own conditions are equalities only; a range filter would
//   otherwise need postgraphile-plugin-connection-filter);
// - a `truncated-to-week` groupBy spec next to pg-aggregates' hour and day ones;
// - the request header `x-time-zone` becomes the transaction's TimeZone setting (pgSettings),
//   because pg-aggregates truncates in the session zone.
// When its parent process asks over IPC ({ capture: true } / { capture: false }), it records
// the statements it sends (for EXPLAIN) and replies with them.

import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { PgAggregatesPreset } from '@graphile/pg-aggregates';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { addPgTableCondition } from 'postgraphile/utils';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '5055' },
    'database-url': { type: 'string', default: process.env.DATABASE_URL },
    'pool-size': { type: 'string', default: '10' },
  },
});
const databaseUrl = values['database-url'];
if (!databaseUrl) {
  console.error('postgraphile: DATABASE_URL (or --database-url) is required');
  process.exit(2);
}
const port = Number(values.port);
const poolSize = Number(values['pool-size']);

/** What the bench process reads in pg_stat_activity to wait until this server is idle. */
const APPLICATION_NAME = 'cmg-bench-postgraphile';

// ---------------------------------------------------------------------------------------
// Statement capture (for EXPLAIN): every query of every pooled client while capturing.

let captured = null;
/** Transaction control and pgSettings: not the question's SQL. */
const CONTROL = /^\s*(begin|commit|rollback|savepoint|release|select set_config)/i;

const pool = new pg.Pool({
  connectionString: databaseUrl,
  max: poolSize,
  application_name: APPLICATION_NAME,
});
pool.on('connect', (client) => {
  const query = client.query.bind(client);
  client.query = (config, ...rest) => {
    if (captured && config && typeof config === 'object' && typeof config.text === 'string') {
      if (!CONTROL.test(config.text)) captured.push({ statement: config.text, params: config.values ?? [] });
    }
    return query(config, ...rest);
  };
});

process.on('message', (message) => {
  if (message?.capture === true) {
    captured = [];
    process.send?.({ capturing: true });
  } else if (message?.capture === false) {
    process.send?.({ statements: captured ?? [] });
    captured = null;
  }
});

// ---------------------------------------------------------------------------------------
// Schema additions

const snapshotsTable = { schemaName: 'public', tableName: 'campaign_metrics_snapshots' };

/** A condition field of the snapshots connection: `bound(sql, alias, value)` is its WHERE clause. */
function snapshotDateCondition(fieldName, description, bound) {
  return addPgTableCondition(snapshotsTable, fieldName, (build) => {
    const { sql } = build;
    const { sqlValueWithCodec, TYPES } = build.dataplanPg;
    return {
      description,
      type: build.getTypeByName('Datetime'),
      apply(condition, value) {
        if (value == null) return;
        condition.where(bound(sql, condition.alias, sqlValueWithCodec(value, TYPES.timestamptz)));
      },
    };
  });
}

/** Adds `truncated-to-week` (ISO weeks from Monday, in the session zone) to the groupBy specs. */
const WeekTruncationPlugin = {
  name: 'BenchWeekTruncationPlugin',
  version: '0.0.0',
  after: ['PgAggregatesSpecsPlugin'],
  schema: {
    hooks: {
      build(build) {
        const { sql } = build;
        const { TYPES } = build.dataplanPg;
        build.pgAggregateGroupBySpecs.push({
          id: 'truncated-to-week',
          isSuitableType: (codec) => codec === TYPES.timestamp || codec === TYPES.timestamptz,
          sqlWrap: (fragment) => sql`date_trunc('week', ${fragment})`,
          sqlWrapCodec: (codec) => codec,
        });
        return build;
      },
    },
  },
};

const preset = {
  extends: [PostGraphileAmberPreset, PgAggregatesPreset],
  plugins: [
    snapshotDateCondition(
      'snapshotDateFrom',
      'Snapshots at or after this instant.',
      (sql, alias, value) => sql`${alias}.snapshot_date >= ${value}`,
    ),
    snapshotDateCondition(
      'snapshotDateTo',
      'Snapshots before this instant.',
      (sql, alias, value) => sql`${alias}.snapshot_date < ${value}`,
    ),
    WeekTruncationPlugin,
  ],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
  grafast: {
    explain: false,
    context(requestContext) {
      const zone = requestContext.node?.req?.headers['x-time-zone'];
      return typeof zone === 'string' && zone ? { pgSettings: { timezone: zone } } : {};
    },
  },
};

const instance = postgraphile(preset);
const serv = instance.createServ(grafserv);
const server = createServer();
server.on('error', (error) => {
  console.error(`postgraphile: ${error.message}`);
  process.exit(1);
});
await serv.addTo(server, false);
// building the schema (introspection) happens here, before the first request
await instance.getSchema();
server.listen(port, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}/graphql`;
  console.log(`listening ${url}`);
  process.send?.({ listening: url });
});

async function stop() {
  server.close();
  await instance.release();
  await pool.end();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
