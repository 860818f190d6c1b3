/**
 * Origin policy for browsers, shared by the WebSocket upgrade (cross-site WebSocket hijacking, RFC 6455
 * section 10.2) and CORS: allowed are exactly the configured origins (ALLOWED_ORIGINS, PUBLIC_ORIGIN), scheme,
 * host and port compared. The Host header is never consulted: a DNS-rebinding page sends `Host: evil.com`
 * with `Origin: http://evil.com`, so "Origin matches Host" proves nothing. Requests without an Origin header
 * are not from a browser page and are not subject to it.
 */
export function isOriginAllowed(origin: string | null | undefined, trustedOrigins: readonly string[]): boolean {
  if (origin == null) return true;
  return trustedOrigins.includes(normalizeOrigin(origin));
}

/** Browsers send origins in their serialized form already; this lowercases the host and drops default ports. */
function normalizeOrigin(origin: string): string {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : origin;
  } catch {
    return origin;
  }
}

/**
 * Client address for logs: the LAST X-Forwarded-For entry, which the load balancer appended from the peer it
 * saw (the ALB appends by default). Earlier entries come from the client and can say anything, so the first
 * hop would let any client forge its logged address. Without the header (no proxy), the peer address.
 */
export function clientAddress(
  forwardedFor: string | string[] | null | undefined,
  remoteAddress: string | undefined,
): string {
  // Repeated headers arrive as an array (node) or joined with ", " (fetch Headers): both end with the proxy's.
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const last = header?.split(',').pop()?.trim();
  return last !== undefined && last !== '' ? last : (remoteAddress ?? 'unknown');
}
