/**
 * The variables budget of a WebSocket: what one socket's operations may hold in variables. A running
 * subscription keeps its variables for its whole life (about 3x their JSON size in heap), so without a
 * budget a few sockets could hold hundreds of MB. Two limits: per operation, and in total over the
 * operations in flight on the socket (counted by its OperationGate, see operations.ts).
 */
import { GraphQLError } from 'graphql';
import type { Limits } from '../../config';
import { ENV } from '../../container-contract';

export const VARIABLES_TOO_LARGE = 'VARIABLES_TOO_LARGE';

type VariablesLimits = Pick<Limits, 'maxVariablesBytesPerOperation' | 'maxVariablesBytesPerSocket'>;

/**
 * Size of `variables` as JSON, in UTF-8 bytes. Values JSON cannot encode within the stack (nesting deep
 * enough to overflow it) count as infinitely large: they are refused, never recursed into again.
 */
export function variablesBytes(variables: unknown): number {
  if (variables == null) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(variables) ?? '');
  } catch {
    return Infinity;
  }
}

/**
 * The error that refuses an operation with `bytes` of variables on a socket whose running operations hold
 * `heldBytes`, or undefined when it fits.
 */
export function variablesRefusal(bytes: number, heldBytes: number, limits: VariablesLimits): GraphQLError | undefined {
  if (bytes > limits.maxVariablesBytesPerOperation) {
    return new GraphQLError(
      `Variables too large: ${Number.isFinite(bytes) ? `${bytes} bytes` : 'too deeply nested to measure'}; ` +
        `one operation may send at most ${limits.maxVariablesBytesPerOperation} bytes (${ENV.maxVariablesBytesPerOperation})`,
      { extensions: { code: VARIABLES_TOO_LARGE, limit: limits.maxVariablesBytesPerOperation } },
    );
  }
  if (heldBytes + bytes > limits.maxVariablesBytesPerSocket) {
    return new GraphQLError(
      `Variables budget of this socket exhausted: its running operations hold ${heldBytes} bytes of variables ` +
        `and this one adds ${bytes}; at most ${limits.maxVariablesBytesPerSocket} bytes (${ENV.maxVariablesBytesPerSocket}). ` +
        'Complete other operations or open another socket',
      { extensions: { code: VARIABLES_TOO_LARGE, limit: limits.maxVariablesBytesPerSocket } },
    );
  }
  return undefined;
}
