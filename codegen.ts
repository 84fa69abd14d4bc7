import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * `npm run codegen`: typed documents for web apps from the printed schema and the dashboard
 * documents. client/generated/ is committed; test/codegen.test.ts fails when it is stale.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['documents/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'client/generated/': {
      preset: 'client',
      presetConfig: {
        // the dashboard documents have no fragments to mask
        fragmentMasking: false,
        // persisted-documents.json: hash -> document, for a persisted-operations mode
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' },
      },
      config: {
        // imports end in .js (NodeNext, ESM)
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        // scalars as they travel in JSON
        scalars: {
          DateTime: 'string',
          Decimal: 'string',
          TimeZone: 'string',
          JSONObject: 'Record<string, unknown>',
          // federation's entity representations (`_entities`), not for web apps
          _Any: 'unknown',
        },
      },
    },
  },
};

export default config;
