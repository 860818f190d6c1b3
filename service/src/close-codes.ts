/**
 * WebSocket close codes the service itself chooses (docs/PROTOCOL.md documents them with the rest). The
 * graphql-transport-ws protocol codes (4400 bad request, 4401, 4403, 4406, 4408, 4409, 4429, 4500) are
 * graphql-ws's `CloseCode`, used as exported.
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
} as const;

/**
 * Close reason of the 4403 (CloseCode.Forbidden) sent when the socket's token expires; clients match on
 * its start and reconnect with fresh connectionParams.
 */
export const TOKEN_EXPIRED_REASON = 'Token expired: reconnect with a fresh token';

/** Close reasons are limited to 123 bytes by RFC 6455; longer ones make `ws` throw. */
export function limitCloseReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let cut = reason.slice(0, 120);
  while (Buffer.byteLength(cut) > 120) cut = cut.slice(0, -1);
  return cut + '...';
}
