/**
 * The subscribe path: graphql-ws's protocol core (`makeServer`) wired to Yoga's envelop, so WebSocket
 * operations get the same plugins as HTTP ones (graphql-armor limits, error masking, introspection off in
 * production, the same context). Authentication happens once per socket, on `connection_init`.
 */
import { GraphQLError, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { makeServer, type Context, type Server } from 'graphql-ws';
import { authenticate, AuthenticationError, tokenFromConnectionParams, type TokenVerifier } from '../../auth';
import { CLOSE_CODES } from '../../close-codes';
import type { Limits } from '../../config';
import { errorFields, type Logger } from '../../logger';
import { SUBSCRIPTION_OVERFLOW } from '../../pubsub';
import type { WsConnection } from './connection';
import { TrackedOperation } from './operations';
import { SharedMember, type SharedSubscriptions, type SubscribeResult } from './shared-subscriptions';
import { heldVariablesBytes, variablesBytes, variablesRefusal } from './variables-budget';

type Operation = (args: ExecutionArgs) => unknown;

/** What the protocol needs from Yoga: `yoga.getEnveloped`, typed loosely to keep this layer Yoga-agnostic. */
export type GetEnveloped = (initialContext: Record<string, unknown>) => {
  schema: ExecutionArgs['schema'];
  parse: (source: string) => DocumentNode;
  validate: (schema: ExecutionArgs['schema'], document: DocumentNode) => readonly GraphQLError[];
  contextFactory: () => unknown;
  execute: Operation;
  subscribe: Operation;
};

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
  // The enveloped execute/subscribe of each operation, found again from its context value.
  const operations = new WeakMap<object, { execute: Operation; subscribe: Operation }>();
  const operationOf = (args: ExecutionArgs) => {
    const found = operations.get(args.contextValue as object);
    if (found === undefined) throw new Error('No enveloped operation for this execution');
    return found;
  };

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
      // Includes this operation (reserved by the core before this hook runs).
      const active = Object.keys(ctx.subscriptions).length;
      if (active > limits.maxSubscriptionsPerSocket) return [tooManyOperations(limits.maxSubscriptionsPerSocket)];
      const connection = ctx.extra;
      // Early, before parsing: onOperation checks again when the operation is added (variables-budget.ts).
      const tooLarge = variablesRefusal(
        variablesBytes(payload.variables),
        heldVariablesBytes(connection.operations),
        limits,
      );
      if (tooLarge !== undefined) {
        connection.shared.counters.variablesRefused++;
        return [tooLarge];
      }
      try {
        const enveloped = getEnveloped({ transport: 'ws', identity: connection.identity, params: payload });
        const document = enveloped.parse(payload.query);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        const operationName = payload.operationName ?? null;
        const variableValues = payload.variables ?? null;
        const key = shared?.keyOf(enveloped.schema, document, payload, connection.identity);
        if (shared !== undefined && key !== undefined) {
          // Runs only if this socket creates the group: one context and one execution for all members.
          const member = shared.join(key, connection, id, {
            context: async () => enveloped.contextFactory(),
            subscribe: (contextValue) =>
              enveloped.subscribe({
                schema: enveloped.schema,
                document,
                contextValue,
                operationName,
                variableValues,
              }) as Promise<SubscribeResult>,
          });
          try {
            await member.context();
          } catch (err) {
            void member.return();
            throw err;
          }
          return { schema: enveloped.schema, document, contextValue: member, operationName, variableValues };
        }
        const contextValue = (await enveloped.contextFactory()) as object;
        operations.set(contextValue, { execute: enveloped.execute, subscribe: enveloped.subscribe });
        return {
          schema: enveloped.schema,
          document,
          contextValue,
          operationName,
          variableValues,
        };
      } catch (err) {
        // Syntax errors and graphql-armor limits are thrown from parse/validate: answer this operation
        // with an error message and keep the socket (the core would close it with 4500).
        if (err instanceof GraphQLError) return [err];
        throw err;
      }
    },

    execute: (args) =>
      operationOf(args).execute(args) as ReturnType<NonNullable<Parameters<typeof makeServer>[0]['execute']>>,
    subscribe: (args) =>
      (args.contextValue instanceof SharedMember
        ? args.contextValue.ready()
        : operationOf(args).subscribe(args)) as ReturnType<NonNullable<Parameters<typeof makeServer>[0]['subscribe']>>,

    // Every stream handed to the core is tracked per socket (see operations.ts): the cap counts them all,
    // including any the core lost track of, and the socket's close ends them all.
    onOperation(ctx: ProtocolContext, _id, payload, _args, result) {
      if (!isAsyncIterable(result)) return undefined;
      const connection = ctx.extra;
      const live = (connection.operations ??= new Set());
      if (live.size >= limits.maxSubscriptionsPerSocket) {
        void (result as AsyncIterable<unknown>)[Symbol.asyncIterator]().return?.();
        return { errors: [tooManyOperations(limits.maxSubscriptionsPerSocket)] };
      }
      const bytes = variablesBytes(payload.variables);
      const tooLarge = variablesRefusal(bytes, heldVariablesBytes(live), limits);
      if (tooLarge !== undefined) {
        connection.shared.counters.variablesRefused++;
        void (result as AsyncIterable<unknown>)[Symbol.asyncIterator]().return?.();
        return { errors: [tooLarge] };
      }
      return new TrackedOperation(result as AsyncIterable<ExecutionResult>, live, bytes);
    },

    onError(ctx: ProtocolContext, _id, _payload, errors) {
      if (errors.some((error) => error.extensions?.code === SUBSCRIPTION_OVERFLOW)) {
        // After the core has sent this error message to the client.
        const connection = ctx.extra;
        setImmediate(() => connection.closeSlowConsumer('subscription queue overflow'));
      }
    },
  });
}

function tooManyOperations(max: number): GraphQLError {
  return new GraphQLError(`Too many operations on this socket: at most ${max} may run at once`, {
    extensions: { code: TOO_MANY_OPERATIONS },
  });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof Object(value)[Symbol.asyncIterator] === 'function';
}
