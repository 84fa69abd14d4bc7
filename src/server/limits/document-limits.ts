import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import type { Plugin } from 'graphql-yoga';
import type { LimitsConfig } from '../../config.js';
import { type LimitCode, limitError } from './limit-error.js';

/**
 * Directives per operation. No setting: documents here use none or a few (@include/@skip), and
 * the cap only stops directive flooding, which costs the parser and validator, never the database.
 */
const MAX_DIRECTIVES = 50;

/**
 * graphql-armor reports its rejections as code-less "Syntax Error"s; report them instead as
 * request errors with a stable code. Depth, alias and directive rules run in validation (the
 * ValidationContext collects the error); the token count runs in the parser (no context:
 * throwing stops parsing at the first token over the limit).
 */
function rejectWith(code: LimitCode): GraphQLArmorRejectCallback {
  return (context, rejection) => {
    const error = limitError(code, rejection.message.replace(/^Syntax Error: /, ''), {
      status: 400,
      spec: true,
    });
    if (context === null) throw error;
    context.reportError(error);
  };
}

function armorOptions(code: LimitCode) {
  return { propagateOnRejection: false, onReject: [rejectWith(code)] };
}

/**
 * Shape limits checked on the document alone, before execution: nesting depth (introspection's
 * `__schema` does not count, so GraphiQL works), aliases, directives and lexical tokens.
 */
export function documentLimits(
  limits: Pick<LimitsConfig, 'maxDepth' | 'maxAliases' | 'maxTokens'>,
): Plugin[] {
  return [
    maxTokensPlugin({ n: limits.maxTokens, ...armorOptions('MAX_TOKENS_EXCEEDED') }),
    maxDepthPlugin({ n: limits.maxDepth, ignoreIntrospection: true, ...armorOptions('MAX_DEPTH_EXCEEDED') }),
    maxAliasesPlugin({ n: limits.maxAliases, ...armorOptions('MAX_ALIASES_EXCEEDED') }),
    maxDirectivesPlugin({ n: MAX_DIRECTIVES, ...armorOptions('MAX_DIRECTIVES_EXCEEDED') }),
  ];
}
