import { useGraphQlJit } from '@envelop/graphql-jit';
import { type DocumentNode, type GraphQLSchema, getOperationAST, Kind, valueFromASTUntyped } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

type Variables = Record<string, unknown>;

/**
 * Default values of an operation's variables, as a client would send them (JSON), by
 * document and operation name.
 */
const defaultsByDocument = new WeakMap<DocumentNode, Map<string, Variables>>();

function variableDefaults(document: DocumentNode, operationName: string | null | undefined): Variables {
  let byOperation = defaultsByDocument.get(document);
  if (!byOperation) {
    byOperation = new Map();
    defaultsByDocument.set(document, byOperation);
  }
  const key = operationName ?? '';
  const known = byOperation.get(key);
  if (known) return known;
  const defaults: Variables = {};
  for (const definition of getOperationAST(document, operationName)?.variableDefinitions ?? []) {
    if (definition.defaultValue) {
      defaults[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
    }
  }
  byOperation.set(key, defaults);
  return defaults;
}

/**
 * Whether graphql-jit runs this request: a document of one query or mutation that it compiles.
 * @envelop/graphql-jit keeps one compiled query per document whatever operation it was compiled
 * for, so a document of several operations (GraphiQL's tabs) would run the first one asked
 * for every later request: those, subscriptions, and anything graphql-jit cannot compile run
 * on graphql-js. Decided once per document.
 */
const compilableDocuments = new WeakMap<DocumentNode, boolean>();

function runsCompiled(schema: GraphQLSchema, document: DocumentNode): boolean {
  const known = compilableDocuments.get(document);
  if (known !== undefined) return known;
  const operations = document.definitions.filter(
    (definition) => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const compilable =
    operations.length === 1 &&
    operations[0]?.operation !== 'subscription' &&
    isCompiledQuery(compileQuery(schema, document));
  compilableDocuments.set(document, compilable);
  return compilable;
}

/**
 * Queries and mutations run as code compiled once per document by graphql-jit (through
 * @envelop/graphql-jit, which keeps the compiled query beside Yoga's parsed document).
 * graphql-js walks the document again for every object of the answer: for a page of 50
 * campaigns with their latest snapshots that walk was a third of the gateway's CPU time per
 * request (bench/README.md has the numbers).
 *
 * graphql-jit leaves out the default of a non-null variable (`$granularity: Granularity! = DAY`
 * is reported as "not provided"): a variable the request leaves out gets its default here,
 * exactly as GraphQL's variable coercion would, before the compiled query reads it.
 */
export function compiledExecution(): Plugin[] {
  const withDefaultVariables: Plugin = {
    onExecute: ({ args }) => {
      const defaults = variableDefaults(args.document, args.operationName);
      const given = (args.variableValues ?? {}) as Variables;
      const missing = Object.keys(defaults).filter((name) => !Object.hasOwn(given, name));
      if (missing.length === 0) return;
      const filled: Variables = { ...given };
      for (const name of missing) filled[name] = defaults[name];
      args.variableValues = filled;
    },
  };
  // biome-ignore lint/correctness/useHookAtTopLevel: an envelop plugin factory named like a React hook
  const compiled = useGraphQlJit(
    {},
    { enableIf: ({ schema, document }) => runsCompiled(schema, document) },
  ) as Plugin;
  return [withDefaultVariables, compiled];
}
