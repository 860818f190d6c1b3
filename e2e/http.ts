/**
 * Minimal HTTP(S) client for the e2e tests: Node's fetch cannot be given a CA without an extra
 * dependency, and the tests must verify the proxy's self-signed certificate rather than skip TLS checks.
 * Never follows redirects (the tests assert them).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpRequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** PEM certificate(s) to trust for https. */
  readonly ca?: string;
  /** Local address to connect from (any of 127/8 on loopback), to play a distinct client. */
  readonly localAddress?: string;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

export function sendHttp(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca,
        localAddress: options.localAddress,
        // A fresh connection per request: keeps the round-robin per request, as the tests count it.
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`sendHttp: ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POSTs a GraphQL operation as JSON and parses the JSON answer. */
export async function postGraphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: Omit<HttpRequestOptions, 'method' | 'body'> = {},
): Promise<{ status: number; data?: T; errors?: { message: string }[] }> {
  const res = await sendHttp(url, {
    ...options,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  let parsed: { data?: T; errors?: { message: string }[] };
  try {
    parsed = JSON.parse(res.body) as typeof parsed;
  } catch {
    throw new Error(`postGraphql: ${url} answered ${res.status} with non-JSON: ${res.body.slice(0, 200)}`);
  }
  return { status: res.status, ...parsed };
}
