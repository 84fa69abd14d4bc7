import { type ComplexityResult, createComplexityRule } from '@pothos/plugin-complexity';
import { type ExecutionArgs, type ExecutionResult, validate } from 'graphql';
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
    let over: ComplexityResult | undefined;
    validate(args.schema, args.document, [
      createComplexityRule({
        context: args.contextValue as object,
        variableValues: (args.variableValues ?? {}) as Record<string, unknown>,
        operationName: args.operationName ?? undefined,
        // Invalid variables are left to execution, which reports them as BAD_USER_INPUT.
        validate: (result) => {
          if (result.complexity > maxCost) over = result;
        },
      }),
    ]);
    if (over) {
      setResultAndStopExecution({
        errors: [
          limitError(
            'COST_LIMIT_EXCEEDED',
            `Operation cost ${over.complexity} exceeds the limit of ${maxCost}: ask for smaller pages or fewer fields.`,
            { status: 400, spec: true },
          ),
        ],
      });
    }
  };
  return { onExecute: rejectIfOver, onSubscribe: rejectIfOver };
}
