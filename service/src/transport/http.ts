/**
 * The node `http` request listener: `/ready` is answered here (cheap, and still answers while Yoga is
 * being disposed at the end of a drain); everything else, `/health` and `/graphql` included, goes to Yoga.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { PATHS } from '../container-contract';
import type { DefenceCounters } from '../counters';

export interface Readiness {
  readonly ready: boolean;
  readonly draining: boolean;
  readonly pubsub: { readonly backend: 'memory' | 'redis'; readonly ready: boolean };
  readonly instanceId: string;
  readonly connections: { readonly webSocket: number; readonly sse: number; readonly total: number };
  /** How often each defence against misbehaving clients fired (see counters.ts). */
  readonly counters: Readonly<DefenceCounters>;
}

export function createRequestListener(
  yoga: (req: IncomingMessage, res: ServerResponse) => unknown,
  readiness: () => Readiness,
): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === PATHS.ready && (req.method === 'GET' || req.method === 'HEAD')) {
      const report = readiness();
      const body = JSON.stringify(report);
      res.writeHead(report.ready ? 200 : 503, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(body),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    void yoga(req, res);
  };
}
