/**
 * WebSocket close codes the service uses, in one place (docs/PROTOCOL.md documents the same table).
 * The graphql-transport-ws protocol codes (44xx) are produced by graphql-ws's protocol core; the rest by
 * the service's WebSocket adapter.
 */
export const CLOSE_CODES = {
  /** Draining: the task is being replaced; reconnect (the load balancer routes to another task). */
  serviceRestart: 1012,
  /**
   * Slow consumer: the socket's send buffer passed `limits.maxBufferedBytes`, or one of its subscriptions
   * queued more than `limits.maxQueuedEventsPerSubscription` events. "Try Again Later" (RFC 6455
   * registry): graphql-ws clients retry it; state must be re-fetched after reconnecting.
   */
  slowConsumer: 1013,
  /**
   * The token could not be verified because the verifier failed (JWKS unreachable, timeout), not because
   * the token is bad: "Try Again Later", retried by graphql-ws clients (4403 would make them give up).
   */
  authUnavailable: 1013,
  /** A frame larger than `limits.maxPayloadBytes` (sent by `ws` itself). */
  messageTooBig: 1009,
  /** Invalid message (not JSON, unknown type, bad shape). */
  badRequest: 4400,
  /** `subscribe` before the connection was acknowledged. */
  unauthorized: 4401,
  /**
   * Authentication failed on `connection_init`, or the socket's token expired (reason TOKEN_EXPIRED_REASON):
   * the recommended client reconnects with fresh connectionParams.
   */
  forbidden: 4403,
  /** The client did not offer the `graphql-transport-ws` subprotocol. */
  subprotocolNotAcceptable: 4406,
  /** No `connection_init` within `limits.connectionInitTimeoutMs`. */
  connectionInitTimeout: 4408,
  /** A `subscribe` reused the id of an active operation. */
  subscriberAlreadyExists: 4409,
  /** A second `connection_init`. */
  tooManyInitialisationRequests: 4429,
  /** Unexpected server error while handling a message. */
  internalServerError: 4500,
} as const;

/** Close reason of a 4403 sent when the socket's token expires; clients match on its start. */
export const TOKEN_EXPIRED_REASON = 'Token expired: reconnect with a fresh token';

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** Close reasons are limited to 123 bytes by RFC 6455; longer ones make `ws` throw. */
export function limitCloseReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let cut = reason.slice(0, 120);
  while (Buffer.byteLength(cut) > 120) cut = cut.slice(0, -1);
  return cut + '...';
}
