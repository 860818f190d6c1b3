/**
 * A connection authenticated with a JWT lives no longer than the token: at `exp` plus the configured clock
 * tolerance a WebSocket is closed with 4403 "Token expired..." and an SSE stream is ended (logged at info,
 * counted). The recommended client retries that close and reconnects with a fresh token from its
 * connectionParams function, and its subscription goes on.
 */
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { createRecommendedClient } from '../../client';
import { startTestApp, type TestApp } from '../../testkit/app';
import { initializedSocket, MESSAGE_POSTED, postMessage, subscribeRoom } from '../../testkit/clients';
import { waitFor } from '../../testkit/wait';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const TOLERANCE_S = 1;

/** A token for `sub` that expires `seconds` from now (whole seconds, as `exp` is). */
async function token(sub: string, seconds: number): Promise<{ jwt: string; expiresAtMs: number }> {
  const exp = Math.floor(Date.now() / 1000) + seconds;
  const jwt = await new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(SECRET));
  return { jwt, expiresAtMs: (exp + TOLERANCE_S) * 1000 };
}

describe('token expiry', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_SECONDS: String(TOLERANCE_S), LOG_LEVEL: 'info' },
    });
  });
  afterAll(() => t.stop());

  test('WebSocket: closed with 4403 "Token expired" at exp + tolerance, logged at info and counted', async () => {
    const { jwt, expiresAtMs } = await token('alice', 2);
    const socket = await initializedSocket(t.wsUrl, { authorization: `Bearer ${jwt}` });
    socket.send({ id: 'v', type: 'subscribe', payload: { query: '{ viewer }' } });
    expect(await socket.waitForMessage((m) => m.id === 'v' && m.type === 'next')).toMatchObject({
      payload: { data: { viewer: 'alice' } },
    });
    const before = t.app.counters().tokenExpiredWebSocket;
    const { code, reason } = await socket.closed;
    const closedAt = Date.now();
    expect(code).toBe(4403);
    expect(reason).toMatch(/^Token expired/);
    expect(closedAt).toBeGreaterThanOrEqual(expiresAtMs - 50);
    expect(closedAt).toBeLessThan(expiresAtMs + 1_500);
    expect(t.app.counters().tokenExpiredWebSocket).toBe(before + 1);
    expect(t.logs.find((l) => l.event === 'ws.token_expired')).toMatchObject({ level: 'info', subject: 'alice' });
  });

  test('SSE: the stream is ended at exp + tolerance', async () => {
    const { jwt, expiresAtMs } = await token('carol', 2);
    const response = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
      body: JSON.stringify({ query: MESSAGE_POSTED, variables: { room: 'sse-expiry' } }),
    });
    expect(response.status).toBe(200);
    const before = t.app.counters().tokenExpiredSse;
    await waitFor('the stream to be registered', () => t.app.connections().sse === 1);
    await response.text(); // resolves when the server ends the stream
    const endedAt = Date.now();
    expect(endedAt).toBeGreaterThanOrEqual(expiresAtMs - 50);
    expect(endedAt).toBeLessThan(expiresAtMs + 1_500);
    expect(t.app.connections().sse).toBe(0);
    expect(t.app.counters().tokenExpiredSse).toBe(before + 1);
    expect(t.logs.find((l) => l.event === 'sse.token_expired')).toMatchObject({ level: 'info', subject: 'carol' });
  });

  test('the recommended client reconnects with a fresh token after the 4403 and its subscription goes on', async () => {
    let minted = 0;
    const client = createRecommendedClient({
      url: t.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: async () => {
        minted++;
        return { authorization: `Bearer ${(await token('dave', 2)).jwt}` };
      },
      backoff: { baseMs: 50, capMs: 200 },
      onFatal: () => undefined,
    });
    try {
      const room = 'client-expiry';
      const subscription = subscribeRoom(client, room);
      await waitFor('the first connection', () => client.stats.connects === 1);
      await waitFor('the token-expired close and the reconnect', () => client.stats.reconnects >= 1, 6_000);
      expect(client.stats.tokenExpiries).toBeGreaterThanOrEqual(1);
      expect(client.stats.closeCodes).toContain(4403);
      expect(minted).toBeGreaterThanOrEqual(2);
      // The subscription was re-sent on the new socket: events reach it again.
      await waitFor(
        'an event after the reconnect',
        async () => {
          const { jwt } = await token('poster', 60);
          await postMessage(t.graphqlUrl, room, `after-${client.stats.reconnects}`, { authorization: `Bearer ${jwt}` });
          return subscription.received.some((m) => m.text.startsWith('after-'));
        },
        5_000,
        100,
      );
      expect(subscription.errors).toEqual([]);
    } finally {
      await client.dispose();
    }
  });
});
