/**
 * The GraphQL server: Yoga with the schema, the context (pub/sub, server info, identity), limits
 * (graphql-armor), CORS allowlist, production hardening, and the SSE adapter. The WebSocket adapter reuses
 * it through `yoga.getEnveloped`, so every plugin here applies to WebSocket operations too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import { createYoga, type Plugin, type YogaInitialContext, type YogaLogger } from 'graphql-yoga';
import { authenticate, AuthenticationError, bearerToken, type Identity, type TokenVerifier } from './auth';
import type { AppConfig } from './config';
import type { DefenceCounters } from './counters';
import { CURSOR, EventCursor } from './history/cursor';
import { useEventPositions } from './history/plugin';
import { PATHS } from './container-contract';
import { renderBundledGraphiQL } from './graphiql';
import { errorFields, type Logger } from './logger';
import type { PubSub } from './pubsub';
import { buildSchema, type ChatContext, type ChatTopics, type ServerInfoSource } from './schema';
import type { ConnectionRegistry } from './transport/connections';
import { isOriginAllowed } from './transport/origin';
import { useSseTransport } from './transport/sse';

/** Server context: node's req/res over HTTP; the WebSocket adapter passes its transport and identity. */
export interface ServerContext {
  req?: IncomingMessage;
  res?: ServerResponse;
  transport?: 'ws';
  identity?: Identity | null;
}

export interface GraphQLServerOptions {
  readonly config: AppConfig;
  readonly pubsub: PubSub<ChatTopics>;
  readonly server: ServerInfoSource;
  readonly verifier: TokenVerifier | undefined;
  readonly registry: ConnectionRegistry;
  readonly logger: Logger;
  /** Origins that get CORS answers (see transport/origin.ts); read per request, so it may grow after start. */
  readonly trustedOrigins: readonly string[];
  readonly counters: DefenceCounters;
  /** Extra Yoga/envelop plugins (tracing, persisted operations, ...); they run for HTTP, SSE and WebSocket. */
  readonly plugins?: readonly Plugin[];
}

export function createGraphQLServer(options: GraphQLServerOptions) {
  const { config, pubsub, server, verifier, registry, logger, trustedOrigins, counters } = options;
  const production = config.mode === 'production';
  const { limits } = config;

  const plugins: Plugin[] = [
    csrfPrevention(),
    maxTokensPlugin({ n: limits.maxTokens }) as Plugin,
    maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true }) as Plugin,
    maxAliasesPlugin({ n: limits.maxAliases }) as Plugin,
    costLimitPlugin({ maxCost: limits.maxCost }) as Plugin,
    useSseTransport({ registry, limits, logger, counters }),
    useEventPositions(),
    ...(options.plugins ?? []),
  ];
  if (production) {
    plugins.push(disableIntrospection(), blockFieldSuggestionsPlugin() as Plugin);
  }

  return createYoga<ServerContext, ChatContext>({
    schema: buildSchema(),
    graphqlEndpoint: PATHS.graphql,
    healthCheckEndpoint: PATHS.health,
    landingPage: false,
    logging: yogaLogger(logger),
    maskedErrors: { isDev: !production },
    graphiql: production ? false : { title: 'Chat rooms', subscriptionsProtocol: 'WS' },
    renderGraphiQL: renderBundledGraphiQL,
    maxRequestBodySize: limits.maxRequestBodyBytes,
    batching: false,
    cors: (request) => {
      const origin = request.headers.get('origin');
      // Only allowlisted (or same) origins get CORS headers; Yoga's default would reflect any origin with credentials.
      if (origin === null || !isOriginAllowed(origin, trustedOrigins)) return false;
      return { origin: [origin], credentials: true, methods: ['GET', 'POST', 'OPTIONS'], maxAge: 600 };
    },
    context: async (
      initial: YogaInitialContext & ServerContext,
    ): Promise<ChatContext & { readonly [CURSOR]: EventCursor }> => {
      const identity =
        initial.transport === 'ws'
          ? (initial.identity ?? null)
          : await authenticateHttp(verifier, initial.request.headers.get('authorization'), logger);
      // Resume point: the subscribe payload's extensions (WebSocket, HTTP), or EventSource's Last-Event-ID.
      // Validated when the subscription starts, so a malformed one is that operation's error.
      const cursor = new EventCursor(
        (initial.params?.extensions as { resumeFrom?: unknown } | undefined)?.resumeFrom ??
          initial.request?.headers.get('last-event-id') ??
          undefined,
      );
      return { pubsub: pubsub.forOperation(cursor), server, identity, [CURSOR]: cursor };
    },
    plugins,
  });
}

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;

/** HTTP error code when the token verifier (identity provider) fails: retryable, unlike UNAUTHENTICATED. */
export const AUTH_UNAVAILABLE = 'AUTH_UNAVAILABLE';

async function authenticateHttp(
  verifier: TokenVerifier | undefined,
  header: string | null,
  logger: Logger,
): Promise<Identity | null> {
  try {
    return await authenticate(verifier, bearerToken(header));
  } catch (err) {
    if (err instanceof AuthenticationError) {
      throw new GraphQLError(`Unauthorized: ${err.message}`, {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } } },
      });
    }
    // The verifier itself failed (JWKS unreachable or timing out, a bug): the token may be fine, so the
    // caller should retry rather than re-login. The cause is logged, not shown.
    logger.error('auth.verifier_failed', errorFields(err));
    throw new GraphQLError('Authentication is temporarily unavailable (the token could not be verified); retry later', {
      extensions: { code: AUTH_UNAVAILABLE, http: { status: 503, headers: { 'Retry-After': '5' } } },
    });
  }
}

/**
 * Header a client must send with a POST whose content type a browser may send cross-site without a CORS
 * preflight (form encodings, text/plain, no content type). JSON and GraphQL-response content types need a
 * preflight already and pass as they are.
 */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

/**
 * Cross-site request forgery: a page on another site can make the browser POST a form (urlencoded,
 * multipart, text/plain) to the API, cookies included, without a preflight; Yoga's CSRF prevention refuses
 * such a request with 403 unless it carries CSRF_HEADER (which only a preflighted, CORS-allowed request can
 * add). GET is exempt: Yoga refuses mutations over GET (405), and a cross-site GET cannot read the answer,
 * so plain GET queries (caches, curl, the GraphQL-over-HTTP audit) keep working without the header.
 */
function csrfPrevention(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      if (payload.request.method === 'GET' || payload.request.method === 'HEAD') return undefined;
      return csrf.onRequestParse?.(payload);
    },
  };
}

/** Production: the schema is not for browsing; clients ship their documents. */
function disableIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

function yogaLogger(logger: Logger): YogaLogger {
  const line = (args: unknown[]) => ({
    message: args
      .map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a)))
      .join(' '),
  });
  return {
    debug: (...args: unknown[]) => logger.debug('yoga', line(args)),
    info: (...args: unknown[]) => logger.info('yoga', line(args)),
    warn: (...args: unknown[]) => logger.warn('yoga', line(args)),
    error: (...args: unknown[]) => logger.error('yoga', line(args)),
  };
}
