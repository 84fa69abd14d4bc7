import { type ComplexityResult, createComplexityRule } from '@pothos/plugin-complexity';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  getOperationAST,
  Kind,
  type TypeNode,
  validate,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitError } from './limit-error.js';

/** What onExecute and onSubscribe both hand over. */
interface OperationHook {
  args: ExecutionArgs;
  setResultAndStopExecution(result: ExecutionResult): void;
}

/**
 * Rejects an operation whose cost (the per-field costs declared on the Pothos schema with
 * @pothos/plugin-complexity: connections by page size, batches by item count) exceeds
 * `maxCost`, before any resolver runs.
 *
 * Why here and not the plugin's own `limit`: that one throws from inside the first root
 * resolver (an execution error beside partial data), and the schema is a module singleton
 * while the budget is a per-gateway setting. Why in onExecute and not as a validation rule:
 * the cost depends on the variables (`first: $first`), and Yoga caches validation results
 * per document, so a rule would let one request's verdict answer another's.
 */
export function costLimit(maxCost: number): Plugin {
  const rejectIfOver = ({ args, setResultAndStopExecution }: OperationHook) => {
    const cost = operationCost(args);
    if (cost > maxCost) {
      setResultAndStopExecution({
        errors: [
          limitError(
            'COST_LIMIT_EXCEEDED',
            `Operation cost ${cost} exceeds the limit of ${maxCost}: ask for smaller pages or fewer fields.`,
            { status: 400, spec: true },
          ),
        ],
      });
    }
  };
  return { onExecute: rejectIfOver, onSubscribe: rejectIfOver };
}

/**
 * Costs already computed, by parsed document (Yoga's parser cache hands out the same object
 * for the same text), then by operation name and variables (ids by their shape alone, see
 * idVariables). The schema's costs read only arguments, never the context, so equal inputs
 * cost the same. Walking a document with the complexity rule takes a tenth of a millisecond
 * or more; dashboards send the same few.
 */
const knownCosts = new WeakMap<DocumentNode, Map<string, number>>();
/** Inputs past this size (ingest batches) are costed every time, not kept as keys. */
const MAX_MEMO_KEY_LENGTH = 2048;
const MAX_MEMOS_PER_DOCUMENT = 256;

/**
 * The names of the operation's variables of type ID or a list of ID (campaign ids). No cost
 * reads which id, only how many, so the memo key keeps their shape and drops their values: a
 * dashboard that rotates one document through campaigns is costed once, not per campaign.
 */
const idVariablesByDocument = new WeakMap<DocumentNode, Map<string, readonly string[]>>();

function idVariables(document: DocumentNode, operationName: string): readonly string[] {
  const byOperation = idVariablesByDocument.get(document) ?? new Map<string, readonly string[]>();
  let names = byOperation.get(operationName);
  if (!names) {
    const namedType = (type: TypeNode): string =>
      type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
    names = (getOperationAST(document, operationName || undefined)?.variableDefinitions ?? [])
      .filter((definition) => namedType(definition.type) === 'ID')
      .map((definition) => definition.variable.name.value);
    byOperation.set(operationName, names);
    idVariablesByDocument.set(document, byOperation);
  }
  return names;
}

/** An id's place in the key: lists keep their length, values become empty strings. */
const idShape = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(idShape) : value === null || value === undefined ? value : '';

function memoKey(args: ExecutionArgs): string {
  const operationName = args.operationName ?? '';
  const variables: Record<string, unknown> = { ...(args.variableValues ?? {}) };
  for (const name of idVariables(args.document, operationName)) {
    if (Object.hasOwn(variables, name)) variables[name] = idShape(variables[name]);
  }
  return `${operationName}|${JSON.stringify(variables)}`;
}

function operationCost(args: ExecutionArgs): number {
  const key = memoKey(args);
  const memoizable = key.length <= MAX_MEMO_KEY_LENGTH;
  const costs = knownCosts.get(args.document) ?? new Map<string, number>();
  const known = memoizable ? costs.get(key) : undefined;
  if (known !== undefined) return known;
  let cost = 0;
  validate(args.schema, args.document, [
    createComplexityRule({
      context: args.contextValue as object,
      variableValues: (args.variableValues ?? {}) as Record<string, unknown>,
      operationName: args.operationName ?? undefined,
      // Invalid variables are left to execution, which reports them as BAD_USER_INPUT.
      validate: (result: ComplexityResult) => {
        cost = result.complexity;
      },
    }),
  ]);
  if (memoizable) {
    // Oldest first out: a document sent with ever new variables keeps only recent ones.
    if (costs.size >= MAX_MEMOS_PER_DOCUMENT) costs.delete(costs.keys().next().value as string);
    costs.set(key, cost);
    knownCosts.set(args.document, costs);
  }
  return cost;
}
