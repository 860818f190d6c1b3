/**
 * Authentication: the JWT verifier (jose) with an HS256 secret and with a JWKS URL served locally, over
 * HTTP (Authorization: Bearer) and WebSocket (connectionParams or the upgrade's Authorization header).
 * Anonymous access only without a verifier.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { CloseCode } from 'graphql-ws';
import { CLOSE_CODES } from '../../service/src/close-codes';
import { AUTH_UNAVAILABLE } from '../../service/src/yoga';
import { startTestApp, type TestApp } from '../../testkit/app';
import { graphqlPost, postMessage, rawSocket, subscribeRoomReady, wsClient } from '../../testkit/clients';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const ISSUER = 'https://issuer.example.com/';
const AUDIENCE = 'chat-api';

/** `expiresIn: null` mints a token without `exp`. */
function hs256(
  claims: JWTPayload,
  options: { secret?: string; expiresIn?: string | null; issuer?: string; audience?: string } = {},
) {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE);
  if (options.expiresIn !== null) jwt.setExpirationTime(options.expiresIn ?? '5m');
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

const viewer = (t: TestApp, headers: Record<string, string> = {}) =>
  graphqlPost<{ viewer: string | null }>(t.graphqlUrl, '{ viewer }', undefined, headers);

describe('JWT (HS256 secret)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, LOG_LEVEL: 'info' },
    });
  });
  afterAll(() => t.stop());

  test('HTTP: a valid bearer token puts the subject in the context', async () => {
    const { status, body } = await viewer(t, { authorization: `Bearer ${await hs256({ sub: 'alice' })}` });
    expect(status).toBe(200);
    expect(body.data?.viewer).toBe('alice');
  });

  test.each([
    ['no token', async () => undefined, /Missing bearer token/],
    [
      'a wrong signature',
      () => hs256({ sub: 'alice' }, { secret: 'another-secret-that-is-also-32-bytes-long!' }),
      /signature/,
    ],
    ['an expired token', () => hs256({ sub: 'alice' }, { expiresIn: '-1m' }), /exp/],
    ['no expiry (never expires)', () => hs256({ sub: 'alice' }, { expiresIn: null }), /missing required "exp" claim/],
    ['another issuer', () => hs256({ sub: 'alice' }, { issuer: 'https://other.example.com/' }), /iss/],
    ['another audience', () => hs256({ sub: 'alice' }, { audience: 'other-api' }), /aud/],
    ['no subject', () => hs256({}), /sub/],
    ['garbage', async () => 'not.a.jwt', /Invalid token/],
  ])('HTTP: %s -> 401 UNAUTHENTICATED with WWW-Authenticate', async (_name, token, message) => {
    const value = await token();
    const { status, body, headers } = await viewer(t, value === undefined ? {} : { authorization: `Bearer ${value}` });
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Bearer');
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(body.errors?.[0]?.message).toMatch(message);
    expect(body.data ?? null).toBeNull();
  });

  test.each([
    [
      'connectionParams.authorization (Bearer)',
      async () => ({ connectionParams: { authorization: `Bearer ${await hs256({ sub: 'bob' })}` } }),
    ],
    ['connectionParams.token', async () => ({ connectionParams: { token: await hs256({ sub: 'bob' }) } })],
  ])('WebSocket: %s authenticates the socket', async (_name, options) => {
    const client = wsClient(t.wsUrl, await options());
    try {
      const result = await client.client.iterate({ query: '{ viewer }' }).next();
      expect(result.value?.data).toEqual({ viewer: 'bob' });
    } finally {
      await client.dispose();
    }
  });

  test('WebSocket: the upgrade request Authorization header works for non-browser clients', async () => {
    const token = await hs256({ sub: 'carol' });
    const socket = rawSocket(t.wsUrl, { headers: { authorization: `Bearer ${token}` } });
    await socket.opened;
    socket.send({ type: 'connection_init' });
    await socket.waitForMessage((m) => m.type === 'connection_ack');
    socket.send({ id: '1', type: 'subscribe', payload: { query: '{ viewer }' } });
    const next = await socket.waitForMessage((m) => m.id === '1' && m.type === 'next');
    expect(next.payload).toEqual({ data: { viewer: 'carol' } });
    socket.close();
    await socket.closed;
  });

  test.each([
    ['no token', async () => undefined],
    ['a bad token', async () => ({ authorization: 'Bearer nope' })],
    ['an expired token', async () => ({ token: await hs256({ sub: 'bob' }, { expiresIn: '-1m' }) })],
    ['a token without exp', async () => ({ token: await hs256({ sub: 'bob' }, { expiresIn: null }) })],
  ])('WebSocket: %s -> 4403, and an authenticated bystander keeps receiving', async (_name, params) => {
    const good = wsClient(t.wsUrl, { connectionParams: { token: await hs256({ sub: 'bystander' }) } });
    try {
      const subscription = await subscribeRoomReady(good.client, 'auth', async (text) =>
        postMessage(t.graphqlUrl, 'auth', text, { authorization: `Bearer ${await hs256({ sub: 'poster' })}` }),
      );
      const authFailures = () => t.logs.filter((l) => l.event === 'ws.auth_failed').length;
      const failuresBefore = authFailures();
      const socket = rawSocket(t.wsUrl);
      await socket.opened;
      const payload = await params();
      socket.send({ type: 'connection_init', ...(payload ? { payload } : {}) });
      expect((await socket.closed).code).toBe(CloseCode.Forbidden);
      const before = subscription.received.length;
      await postMessage(t.graphqlUrl, 'auth', 'after', { authorization: `Bearer ${await hs256({ sub: 'poster' })}` });
      await subscription.waitForCount(before + 1);
      expect(authFailures()).toBe(failuresBefore + 1);
    } finally {
      await good.dispose();
    }
  });
});

describe('JWT (JWKS URL)', () => {
  let t: TestApp;
  let jwks: Server;
  let privateKey: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    // A real HTTP server with the key set, as an identity provider would publish it.
    jwks = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    t = await startTestApp({
      env: { JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`, JWT_ISSUER: ISSUER, LOG_LEVEL: 'info' },
    });
  });
  afterAll(async () => {
    await t.stop();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const es256 = (sub: string, key: CryptoKey = privateKey) =>
    new SignJWT({ sub })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setExpirationTime('5m')
      .sign(key);

  test('a token signed by the published key is accepted (HTTP and WebSocket)', async () => {
    const { body } = await viewer(t, { authorization: `Bearer ${await es256('dave')}` });
    expect(body.data?.viewer).toBe('dave');
    const client = wsClient(t.wsUrl, { connectionParams: { authorization: `Bearer ${await es256('erin')}` } });
    try {
      expect((await client.client.iterate({ query: '{ viewer }' }).next()).value?.data).toEqual({ viewer: 'erin' });
    } finally {
      await client.dispose();
    }
  });

  test('a token signed by another key is refused', async () => {
    const other = await generateKeyPair('ES256');
    const { status } = await viewer(t, {
      authorization: `Bearer ${await es256('mallory', other.privateKey as CryptoKey)}`,
    });
    expect(status).toBe(401);
  });

  test('an HS256 token is refused (no algorithm confusion)', async () => {
    const { status } = await viewer(t, { authorization: `Bearer ${await hs256({ sub: 'mallory' })}` });
    expect(status).toBe(401);
  });
});

describe('JWT (JWKS URL): the identity provider fails', () => {
  // The token is well formed and unexpired; only the key set cannot be had. That is not the caller's fault:
  // 503 + retry, not 401 + re-login.
  const token = async () => {
    const { privateKey } = await generateKeyPair('ES256');
    return new SignJWT({ sub: 'dave' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setExpirationTime('5m')
      .sign(privateKey);
  };

  async function expectUnavailable(jwksUrl: string) {
    const t = await startTestApp({ env: { JWT_JWKS_URL: jwksUrl, LOG_LEVEL: 'info' } });
    try {
      const { status, body, headers } = await viewer(t, { authorization: `Bearer ${await token()}` });
      expect(status).toBe(503);
      expect(headers.get('retry-after')).toBe('5');
      expect(headers.get('www-authenticate')).toBeNull();
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: AUTH_UNAVAILABLE });
      expect(body.errors?.[0]?.message).toMatch(/temporarily unavailable.*retry/);
      expect(body.data ?? null).toBeNull();
      expect(t.logs.filter((l) => l.event === 'auth.verifier_failed')).toHaveLength(1);
    } finally {
      await t.stop();
    }
  }

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  };
  const close = (server: Server) => new Promise((resolve) => server.close(resolve));

  test('JWKS server down (connection refused) -> 503 AUTH_UNAVAILABLE, logged as auth.verifier_failed', async () => {
    const server = createServer();
    const url = await listen(server);
    await close(server); // nothing listens on that port now
    await expectUnavailable(url);
  });

  test('over WebSocket, a JWKS outage closes with 1013 (try again later), not 4403 (which clients never retry)', async () => {
    const server = createServer();
    const url = await listen(server);
    await close(server);
    const t = await startTestApp({ env: { JWT_JWKS_URL: url, LOG_LEVEL: 'info' } });
    try {
      const socket = rawSocket(t.wsUrl);
      await socket.opened;
      socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${await token()}` } });
      const closed = await socket.closed;
      expect(closed.code).toBe(CLOSE_CODES.authUnavailable);
      expect(t.logs.filter((l) => l.event === 'auth.verifier_failed')).toHaveLength(1);
      expect(t.logs.some((l) => l.event === 'ws.auth_failed')).toBe(false);
    } finally {
      await t.stop();
    }
  });

  test('JWKS server answers 500 -> 503', async () => {
    const server = createServer((_req, res) => res.writeHead(500).end());
    try {
      await expectUnavailable(await listen(server));
    } finally {
      await close(server);
    }
  });

  test('JWKS server hangs -> 503 after the fetch timeout (5 s)', async () => {
    const server = createServer(() => undefined); // accepts, never answers
    try {
      await expectUnavailable(await listen(server));
    } finally {
      server.closeAllConnections();
      await close(server);
    }
  }, 20_000);
});

describe('anonymous', () => {
  test('without a verifier every request is anonymous and a bearer header is ignored', async () => {
    const t = await startTestApp({ env: { LOG_LEVEL: 'error' } });
    try {
      expect((await viewer(t)).body.data).toEqual({ viewer: null });
      expect((await viewer(t, { authorization: 'Bearer whatever' })).body.data).toEqual({ viewer: null });
    } finally {
      await t.stop();
    }
  });
});
