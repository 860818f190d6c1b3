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

/** Client address for logs: the first X-Forwarded-For hop (set by the ALB), else the peer address. */
export function clientAddress(forwardedFor: string | string[] | null | undefined, remoteAddress: string | undefined): string {
  const header = Array.isArray(forwardedFor) ? forwardedFor[0] : forwardedFor;
  const first = header?.split(',')[0]?.trim();
  return first !== undefined && first !== '' ? first : (remoteAddress ?? 'unknown');
}
