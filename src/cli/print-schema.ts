import { writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { schema, subgraphSdl } from '../schema/index.js';

/**
 * `npm run schema`: the printed schemas, committed so reviewers, codegen and a supergraph see
 * the API. schema.graphql is the plain schema clients and codegen read; subgraph.graphql is the
 * federation SDL (with `@link` and `@key`) that a gateway or a schema registry composes.
 */
writeFileSync(new URL('../../schema.graphql', import.meta.url), `${printSchema(schema)}\n`);
writeFileSync(new URL('../../subgraph.graphql', import.meta.url), `${subgraphSdl()}\n`);
console.log('wrote schema.graphql and subgraph.graphql');
