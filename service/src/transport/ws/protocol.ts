/**
 * The subscribe path: graphql-ws's protocol core (`makeServer`) wired to Yoga's envelop, so WebSocket
 * operations get the same plugins as HTTP ones (graphql-armor limits, error masking, introspection off in
 * production, the same context). Authentication happens once per socket, on `connection_init`.
 *
 * As in Yoga's graphql-ws recipe, `onSubscribe` builds each operation from `getEnveloped` and hands the
 * core the enveloped `execute`/`subscribe` in the operation's `rootValue`; the core's `execute`/`subscribe`
 * call them from there.
 */
import { GraphQLError, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { makeServer, type Context, type ExecutionResult, type OperationResult, type Server } from 'graphql-ws';
import { authenticate, AuthenticationError, tokenFromConnectionParams, type TokenVerifier } from '../../auth';
import { CLOSE_CODES } from '../../close-codes';
import type { Limits } from '../../config';
import { errorFields, type Logger } from '../../logger';
import { SUBSCRIPTION_OVERFLOW } from '../../pubsub';
import type { WsConnection } from './connection';
import { isResumeOnly } from './shared/analysis';
import type { SharedSubscriptions } from './shared/registry';
import { ResumingStream } from './shared/resuming';
import { variablesDepthError } from './variables';
import { variablesBytes, variablesRefusal } from './variables-budget';

type Operation = (args: ExecutionArgs) => OperationResult;

/** What the protocol needs from Yoga: `yoga.getEnveloped`, typed loosely to keep this layer Yoga-agnostic. */
export type GetEnveloped = (initialContext: Record<string, unknown>) => {
  schema: GraphQLSchema;
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
  contextFactory: () => unknown;
  execute: Operation;
  subscribe: Operation;
};

/** The `rootValue` of every WebSocket operation: how to run it (Yoga's graphql-ws recipe). */
interface OperationRoot {
  readonly execute: Operation;
  readonly subscribe: Operation;
}

export interface ProtocolOptions {
  readonly getEnveloped: GetEnveloped;
  readonly verifier: TokenVerifier | undefined;
  readonly limits: Limits;
  readonly logger: Logger;
  /** Subscription de-duplication; unset: every operation runs per connection. */
  readonly shared?: SharedSubscriptions;
}

type ConnectionParams = Record<string, unknown>;
type ProtocolContext = Context<ConnectionParams, WsConnection>;

export const TOO_MANY_OPERATIONS = 'TOO_MANY_OPERATIONS';

export function createProtocolServer(options: ProtocolOptions): Server<WsConnection> {
  const { getEnveloped, verifier, limits, logger, shared } = options;
  const rootOf = (args: ExecutionArgs) => args.rootValue as OperationRoot;

  return makeServer<ConnectionParams, WsConnection>({
    connectionInitWaitTimeout: limits.connectionInitTimeoutMs,

    async onConnect(ctx: ProtocolContext) {
      const connection = ctx.extra;
      const token = tokenFromConnectionParams(ctx.connectionParams) ?? connection.headerToken;
      try {
        connection.identity = await authenticate(verifier, token);
        return true;
      } catch (err) {
        if (!(err instanceof AuthenticationError)) {
          // The verifier failed, not the token: a retryable close; the core's 4403 that follows is ignored.
          logger.error('auth.verifier_failed', {
            connection: connection.id,
            address: connection.address,
            ...errorFields(err),
          });
          connection.close(CLOSE_CODES.authUnavailable, 'Authentication temporarily unavailable: retry later');
          return false;
        }
        logger.warn('ws.auth_failed', { connection: connection.id, address: connection.address, ...errorFields(err) });
        return false; // -> 4403 Forbidden
      }
    },

    async onSubscribe(ctx: ProtocolContext, id, payload) {
      const connection = ctx.extra;
      // Every operation in flight on the socket, this one included (see operations.ts).
      if ((connection.operations?.size ?? 0) > limits.maxSubscriptionsPerSocket) {
        return [tooManyOperations(limits.maxSubscriptionsPerSocket)];
      }
      // Before anything walks them recursively (the group key, plugins).
      const tooDeep = variablesDepthError(payload.variables);
      if (tooDeep !== undefined) return [tooDeep];
      // Variables stay in memory for the operation's whole life: within the socket's budget, or refused.
      const gate = connection.operations;
      const bytes = variablesBytes(payload.variables);
      const tooLarge = variablesRefusal(bytes, gate?.heldVariablesBytes(id) ?? 0, limits);
      if (tooLarge !== undefined) {
        connection.shared.counters.variablesRefused++;
        return [tooLarge];
      }
      gate?.holdVariables(id, bytes);
      try {
        const { schema, parse, validate, contextFactory, execute, subscribe } = getEnveloped({
          transport: 'ws',
          identity: connection.identity,
          params: payload,
        });
        const document = parse(payload.query);
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        const operation = { schema, document, operationName: payload.operationName ?? null };
        const variableValues = payload.variables ?? null;
        const key = shared?.keyOf(document, payload, connection.identity);
        const resumeFrom = payload.extensions?.['resumeFrom'];
        if (shared !== undefined && key !== undefined && isResumeOnly(payload) && typeof resumeFrom === 'string') {
          // A position the group has just delivered: its recent frames are the replay, nothing to execute.
          const member = shared.resume(key, connection, id, resumeFrom);
          if (member !== undefined) {
            const root: OperationRoot = { execute, subscribe: () => member.ready() };
            return { ...operation, variableValues, contextValue: undefined, rootValue: root };
          }
        }
        if (shared !== undefined && key !== undefined && isResumeOnly(payload)) {
          // The group runs the operation without the position; this socket's own execution replays its gap.
          const group = getEnveloped({
            transport: 'ws',
            identity: connection.identity,
            params: { ...payload, extensions: {} },
          });
          const member = shared.join(
            key,
            connection,
            id,
            {
              context: async () => group.contextFactory(),
              subscribe: (contextValue) => group.subscribe({ ...operation, contextValue, variableValues }),
            },
            true,
          );
          let ownContext: unknown;
          try {
            await member.context();
            ownContext = await contextFactory();
          } catch (err) {
            void member.return();
            throw err;
          }
          const resume = async (): Promise<Awaited<OperationResult>> => {
            const own = await subscribe({ ...operation, contextValue: ownContext, variableValues });
            const joined = await member.ready().catch(() => undefined);
            if (!isAsyncIterable(own) || joined !== member) {
              // A one-off result (an error such as INVALID_POSITION), or no group stream: the own one alone.
              void member.return();
              return own;
            }
            return new ResumingStream(own[Symbol.asyncIterator](), member);
          };
          const root: OperationRoot = { execute, subscribe: resume };
          return { ...operation, variableValues, contextValue: undefined, rootValue: root };
        }
        if (shared !== undefined && key !== undefined) {
          // Runs only if this socket creates the group: one context and one execution for all members.
          const member = shared.join(key, connection, id, {
            context: async () => contextFactory(),
            subscribe: (contextValue) => subscribe({ ...operation, contextValue, variableValues }),
          });
          try {
            await member.context();
          } catch (err) {
            void member.return();
            throw err;
          }
          const root: OperationRoot = { execute, subscribe: () => member.ready() };
          return { ...operation, variableValues, contextValue: undefined, rootValue: root };
        }
        const root: OperationRoot = { execute, subscribe };
        return { ...operation, variableValues, contextValue: await contextFactory(), rootValue: root };
      } catch (err) {
        // Syntax errors and graphql-armor limits are thrown from parse/validate: answer this operation
        // with an error message and keep the socket (the core would close it with 4500).
        if (err instanceof GraphQLError) return [err];
        throw err;
      }
    },

    execute: (args) => rootOf(args).execute(args),
    subscribe: (args) => rootOf(args).subscribe(args),

    onError(ctx: ProtocolContext, _id, _payload, errors) {
      if (errors.some((error) => error.extensions?.code === SUBSCRIPTION_OVERFLOW)) {
        // After the core has sent this error message to the client.
        const connection = ctx.extra;
        setImmediate(() => connection.closeSlowConsumer('subscription queue overflow'));
      }
    },
  });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof Object(value)[Symbol.asyncIterator] === 'function';
}

function tooManyOperations(max: number): GraphQLError {
  return new GraphQLError(`Too many operations on this socket: at most ${max} may run at once`, {
    extensions: { code: TOO_MANY_OPERATIONS },
  });
}
