import type { CacheEntityRecord } from '@envelop/response-cache';
import {
  type DocumentNode,
  type GraphQLSchema,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { rootFieldEntities } from './entities.js';
import { ttlByArguments } from './ttl.js';

/** What the response cache adds for one execution, beyond what the plugin finds in the answer. */
export interface OperationPolicy {
  /** Entities the answer depends on without them appearing in it (root fields by id, lists). */
  entities: CacheEntityRecord[];
  /** The shortest argument-dependent TTL of its fields (ms); Infinity when none applies. */
  ttl: number;
}

export interface OperationRequest {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Record<string, unknown> | null;
}

/** Answers whose policy cannot be worked out are not cached. */
const UNCACHEABLE: OperationPolicy = { entities: [], ttl: 0 };

/**
 * Walks the operation (fragments included) with its arguments as the fields receive them:
 * root query fields give their dependencies, fields in `ttlByArguments` their TTL. Fields
 * under @skip/@include count as selected, which can only shorten the TTL or add entities.
 */
export function operationPolicy(
  { schema, document, operationName, variableValues }: OperationRequest,
  now: number,
): OperationPolicy {
  const operation = getOperationAST(document, operationName);
  if (!operation) return UNCACHEABLE;
  const variables = getVariableValues(schema, operation.variableDefinitions ?? [], variableValues ?? {});
  // Execution reports the same coercion errors, and answers with errors are not cached.
  if (variables.errors) return UNCACHEABLE;
  const queryType = schema.getQueryType();
  const policy: OperationPolicy = { entities: [], ttl: Number.POSITIVE_INFINITY };
  const typeInfo = new TypeInfo(schema);
  try {
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          const parent = typeInfo.getParentType();
          const field = typeInfo.getFieldDef();
          if (!parent || !field) return;
          const coordinate = `${parent.name}.${field.name}`;
          const ttlRule = ttlByArguments[coordinate];
          const isRoot = parent === queryType;
          if (!ttlRule && !isRoot) return;
          const args = getArgumentValues(field, node, variables.coerced);
          if (ttlRule) policy.ttl = Math.min(policy.ttl, ttlRule(args, now));
          if (isRoot) policy.entities.push(...rootFieldEntities(field.name, args));
        },
      }),
    );
  } catch {
    // An argument the execution will reject as well.
    return UNCACHEABLE;
  }
  return policy;
}
