/**
 * HTTP: health, readiness, the chat domain over GET/POST, CORS allowlist, production hardening, limits.
 * The app listens on 127.0.0.1 port 0 and is driven with fetch.
 */
import { Agent, request } from 'node:http';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { startTestApp, type TestApp } from '../../testkit/app';
import { graphqlPost, postMessage } from '../../testkit/clients';

describe('HTTP (development mode)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:3000' } });
  });
  afterAll(() => t.stop());

  test('/health answers 200 (liveness)', async () => {
    const response = await fetch(`${t.url}/health`);
    expect(response.status).toBe(200);
  });

  test('/ready answers 200 with the pub/sub state and connection counts', async () => {
    const response = await fetch(`${t.url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      ready: true,
      draining: false,
      pubsub: { backend: 'memory', ready: true },
      instanceId: t.config.instanceId,
      connections: { webSocket: 0, sse: 0, total: 0 },
    });
  });

  test('postMessage returns the stored message with an id and ISO timestamp', async () => {
    const { status, body } = await postMessage(t.graphqlUrl, 'lobby', '  hello  ');
    expect(status).toBe(200);
    const message = body.data?.postMessage;
    expect(message).toMatchObject({ room: 'lobby', text: 'hello' });
    expect(message?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(message?.sentAt ?? '').toISOString()).toBe(message?.sentAt);
  });

  test('serverInfo over GET names this instance', async () => {
    const query = encodeURIComponent('{ serverInfo { instanceId version uptimeSeconds connectionCount } }');
    const response = await fetch(`${t.graphqlUrl}?query=${query}`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { serverInfo: Record<string, unknown> } };
    expect(body.data.serverInfo).toMatchObject({
      instanceId: t.config.instanceId,
      version: '0.0.0-dev',
      connectionCount: 0,
    });
    expect(body.data.serverInfo.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  test('mutations over GET are refused (405)', async () => {
    const query = encodeURIComponent('mutation { postMessage(room: "a", text: "b") { id } }');
    const response = await fetch(`${t.graphqlUrl}?query=${query}`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(405);
  });

  test.each([
    ['empty room', '', 'x', 'room'],
    ['room with a space', 'a b', 'x', 'room'],
    ['room too long', 'r'.repeat(65), 'x', 'room'],
    ['blank text', 'lobby', '   ', 'text'],
    ['text too long', 'lobby', 'x'.repeat(2001), 'text'],
  ])('bad input (%s) is a BAD_USER_INPUT error naming the argument', async (_name, room, text, argumentName) => {
    const { body } = await postMessage(t.graphqlUrl, room, text);
    expect(body.data).toBeNull();
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
    expect(body.errors?.[0]?.message).toMatch(argumentName === 'room' ? /room name/ : /1 to 2000 characters/);
  });

  test('malformed JSON body is a 400, not a crash', async () => {
    const response = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    expect((await postMessage(t.graphqlUrl, 'lobby', 'still up')).status).toBe(200);
  });

  test('a body over the limit is refused with 413', async () => {
    const big = JSON.stringify({
      query: `{ serverInfo { version } }`,
      variables: { pad: 'x'.repeat(t.config.limits.maxRequestBodyBytes) },
    });
    const response = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(response.status).toBe(413);
  });

  describe('CORS allowlist', () => {
    const preflight = (origin: string) =>
      fetch(t.graphqlUrl, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });

    test('an allowlisted origin gets its own origin back, with credentials', async () => {
      const response = await preflight('https://app.example.com');
      expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      const post = await graphqlPost(t.graphqlUrl, '{ serverInfo { version } }', undefined, {
        origin: 'http://localhost:3000',
      });
      expect(post.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    });

    test('any other origin gets no CORS headers at all (never reflected)', async () => {
      const response = await preflight('https://evil.example.net');
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      const post = await graphqlPost(t.graphqlUrl, '{ serverInfo { version } }', undefined, {
        origin: 'https://evil.example.net',
      });
      expect(post.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  test('GraphiQL is served, configured for subscriptions over WebSocket', async () => {
    const response = await fetch(t.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('GraphiQL');
    expect(html).toMatch(/"subscriptionsProtocol":\s*"WS"/);
    // Its scripts and styles are in the page itself: it works offline and behind proxies that block CDNs.
    expect(html).toContain('renderYogaGraphiQL');
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//);
    expect(html).not.toMatch(/https?:\/\/[^\s"'`)]*\.(js|css)\b/);
  });

  test('introspection works in development', async () => {
    const { body } = await graphqlPost(t.graphqlUrl, '{ __schema { queryType { name } } }');
    expect(body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  describe('graphql-armor limits', () => {
    test('depth', async () => {
      // The example schema is two levels deep, so the limit is lowered to see it bite.
      const shallow = await startTestApp({ limits: { maxDepth: 1 } });
      try {
        const { body } = await graphqlPost(shallow.graphqlUrl, '{ serverInfo { version } }');
        expect(body.errors?.[0]?.message).toMatch(/depth limit/i);
        const ok = await graphqlPost(shallow.graphqlUrl, '{ viewer }');
        expect(ok.body.errors).toBeUndefined();
      } finally {
        await shallow.stop();
      }
    });

    test('aliases', async () => {
      const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: serverInfo { version }`).join(' ');
      const { body } = await graphqlPost(t.graphqlUrl, `{ ${aliases} }`);
      expect(body.errors?.[0]?.message).toMatch(/aliases/i);
    });

    test('tokens', async () => {
      const fields = Array.from({ length: 1100 }, () => 'version').join(' ');
      const { body } = await graphqlPost(t.graphqlUrl, `{ serverInfo { ${fields} } }`);
      expect(body.errors?.[0]?.message).toMatch(/token limit/i);
    });

    test('cost', async () => {
      const fields = Array.from(
        { length: 14 },
        (_, i) => `a${i}: serverInfo { instanceId version uptimeSeconds connectionCount }`,
      ).join(' ');
      const costly = await startTestApp({ limits: { maxCost: 20 } });
      try {
        const { body } = await graphqlPost(costly.graphqlUrl, `{ ${fields} }`);
        expect(body.errors?.[0]?.message).toMatch(/cost/i);
        const cheap = await graphqlPost(costly.graphqlUrl, '{ serverInfo { version } }');
        expect(cheap.body.errors).toBeUndefined();
      } finally {
        await costly.stop();
      }
    });
  });
});

describe('HTTP (production mode)', () => {
  let t: TestApp;
  // An envelop plugin that fails like a buggy resolver would, to see what the client is told.
  const failing: Plugin = {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.name?.value === 'Explode') {
        throw new Error('db password is hunter2');
      }
    },
  };
  beforeAll(async () => {
    t = await startTestApp({ env: { NODE_ENV: 'production', LOG_LEVEL: 'error' }, plugins: [failing] });
  });
  afterAll(() => t.stop());

  test('introspection is off', async () => {
    const { body } = await graphqlPost(t.graphqlUrl, '{ __schema { queryType { name } } }');
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.message).toMatch(/introspection/i);
  });

  test('GraphiQL is off', async () => {
    const response = await fetch(t.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(await response.text()).not.toContain('GraphiQL');
  });

  test('unexpected errors are masked', async () => {
    const { body } = await graphqlPost(t.graphqlUrl, 'query Explode { serverInfo { version } }');
    expect(body.errors?.[0]?.message).toBe('Unexpected error.');
    expect(JSON.stringify(body)).not.toContain('hunter2');
  });

  test('field suggestions are not given away', async () => {
    const { body } = await graphqlPost(t.graphqlUrl, '{ serverInf { version } }');
    expect(body.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  test('domain errors still reach the client (they are meant for it)', async () => {
    const { body } = await postMessage(t.graphqlUrl, 'bad room', 'x');
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('HTTP (development mode) shows what production hides', () => {
  test('field suggestions and error details', async () => {
    const failing: Plugin = {
      onExecute({ args }) {
        if (getOperationAST(args.document, args.operationName)?.name?.value === 'Explode') {
          throw new Error('db password is hunter2');
        }
      },
    };
    const t = await startTestApp({ plugins: [failing], env: { LOG_LEVEL: 'error' } });
    try {
      const suggestion = await graphqlPost(t.graphqlUrl, '{ serverInf { version } }');
      expect(suggestion.body.errors?.[0]?.message).toMatch(/Did you mean "serverInfo"/);
      const exploded = await graphqlPost(t.graphqlUrl, 'query Explode { serverInfo { version } }');
      expect(JSON.stringify(exploded.body)).toContain('hunter2');
    } finally {
      await t.stop();
    }
  });
});

describe('HTTP keep-alive outlives the load balancer idle timeout', () => {
  // The ALB reuses idle backend connections until its own idle timeout; if the service closed one first,
  // a request racing the close would get a 502. LB_IDLE_TIMEOUT_MS is 1 s here, the server keeps 1 s + 5 s.
  // The keepalive is 0.5 s: the service refuses an idle timeout under twice the keepalive, as synth does.
  test('an idle keep-alive connection is still usable after the load balancer idle timeout', async () => {
    const t = await startTestApp({
      env: { LB_IDLE_TIMEOUT_MS: '1000', KEEPALIVE_INTERVAL_MS: '500', LOG_LEVEL: 'error' },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(`${t.url}/health`, agent);
      expect(first.reused).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const second = await get(`${t.url}/health`, agent);
      expect(second).toEqual({ status: 200, reused: true });
      // Derived from the load balancer's idle timeout it was given, not a fixed value.
      expect(t.app.httpServer.keepAliveTimeout).toBe(1_000 + 5_000);
    } finally {
      agent.destroy();
      await t.stop();
    }
  });
});

function get(url: string, agent: Agent): Promise<{ status: number | undefined; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}
