/**
 * A bound on how deeply an operation's variables may nest, checked without recursion. A frame under the
 * payload limit can hold some 10,000 levels; code that walks values recursively (JSON.stringify, the
 * shared-subscription key, plugins) would overflow the stack on it, so such variables are refused first.
 */
import { GraphQLError } from 'graphql';

/** Most levels of objects and arrays in an operation's variables, the variables object itself included. */
export const MAX_VARIABLES_DEPTH = 64;

/** The answer for variables nested deeper than `max`, or undefined when they fit. */
export function variablesDepthError(variables: unknown, max: number = MAX_VARIABLES_DEPTH): GraphQLError | undefined {
  if (!exceedsDepth(variables, max)) return undefined;
  return new GraphQLError(`Variables are nested more than ${max} levels deep`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

/** Iterative depth-first walk; stops at the first value below `max` levels. */
export function exceedsDepth(value: unknown, max: number): boolean {
  const stack: Array<{ readonly value: unknown; readonly depth: number }> = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.value === null || typeof item.value !== 'object') continue;
    const depth = item.depth + 1;
    if (depth > max) return true;
    for (const child of Object.values(item.value)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth });
    }
  }
  return false;
}
