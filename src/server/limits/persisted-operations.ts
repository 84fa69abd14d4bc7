import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { limitError } from './limit-error.js';

/** What the client codegen writes (`npm run codegen`): "sha256:<hex of the document>" -> document. */
const PERSISTED_DOCUMENTS_URL = new URL(
  '../../../client/generated/persisted-documents.json',
  import.meta.url,
);

export function loadPersistedDocuments(url: URL = PERSISTED_DOCUMENTS_URL): Map<string, string> {
  return new Map(Object.entries(JSON.parse(readFileSync(url, 'utf8')) as Record<string, string>));
}

type ParamsWithId = GraphQLParams & { documentId?: unknown };

/**
 * The document id of a request: `documentId` (GraphQL-over-HTTP persisted documents) or
 * Apollo's `extensions.persistedQuery.sha256Hash`; a bare hex hash means sha256.
 */
function persistedDocumentId(params: GraphQLParams): string | null {
  const { documentId } = params as ParamsWithId;
  const persistedQuery = params.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  const id = typeof documentId === 'string' ? documentId : persistedQuery?.sha256Hash;
  if (typeof id !== 'string' || id === '') return null;
  return id.includes(':') ? id : `sha256:${id}`;
}

const onlyPersisted = () =>
  limitError(
    'PERSISTED_QUERY_ONLY',
    'This gateway only runs persisted documents: send documentId (or extensions.persistedQuery.sha256Hash) instead of query text.',
    { status: 400, spec: true },
  );

/**
 * PERSISTED_OPERATIONS_ONLY: only the documents of the client codegen run, looked up by id; query
 * text is refused. A request with both an id and text runs the stored document, so a client can
 * send both and work against either mode.
 */
export function persistedOperationsOnly(documents: ReadonlyMap<string, string>): Plugin[] {
  return [
    {
      onParams({ params, setParams }) {
        if (params.query !== undefined && persistedDocumentId(params) !== null) {
          setParams({ ...params, query: undefined });
        }
      },
    },
    // biome-ignore lint/correctness/useHookAtTopLevel: a Yoga plugin factory named like a React hook
    usePersistedOperations({
      extractPersistedOperationId: persistedDocumentId,
      getPersistedOperation: (id) => documents.get(id) ?? null,
      customErrors: {
        persistedQueryOnly: onlyPersisted,
        keyNotFound: onlyPersisted,
        notFound: (payload) =>
          limitError(
            'PERSISTED_QUERY_NOT_FOUND',
            `No persisted document ${persistedDocumentId(payload.params)}.`,
            { status: 400, spec: true },
          ),
      },
    }),
  ];
}
