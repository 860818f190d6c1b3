/**
 * Origin policy for browsers, shared by the WebSocket upgrade (cross-site WebSocket hijacking, RFC 6455
 * section 10.2) and CORS: allowed are the configured exact origins and the service's own origin (GraphiQL).
 * Requests without an Origin header are not from a browser page and are not subject to it.
 */
export function isOriginAllowed(
  origin: string | null | undefined,
  host: string | null | undefined,
  allowedOrigins: readonly string[],
): boolean {
  if (origin == null) return true;
  if (allowedOrigins.includes(origin)) return true;
  return isSameOrigin(origin, host);
}

/** Compares the Origin's host:port with the Host header (the scheme differs behind TLS termination). */
function isSameOrigin(origin: string, host: string | null | undefined): boolean {
  if (host == null || host === '') return false;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return url.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
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
