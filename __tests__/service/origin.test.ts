/**
 * The origin policy never trusts the Host header: a DNS-rebinding page (`Origin: http://evil.com` sent to
 * the service with `Host: evil.com`) and a wrong scheme are refused on the WebSocket upgrade and get no
 * CORS answer; only the configured origins (ALLOWED_ORIGINS, PUBLIC_ORIGIN) and, in development without
 * PUBLIC_ORIGIN, the listening address are allowed.
 */
import { startTestApp, type TestApp } from '../../testkit/app';
import { graphqlPost, rawSocket } from '../../testkit/clients';

async function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  const socket = rawSocket(url, { headers });
  const outcome = await Promise.race([
    socket.opened.then(() => 101),
    socket.refusedStatus.then((status) => status ?? -1),
  ]);
  socket.ws.terminate();
  return outcome;
}

async function corsOrigin(t: TestApp, headers: Record<string, string>) {
  const { headers: answer } = await graphqlPost(t.graphqlUrl, '{ viewer }', undefined, headers);
  return {
    origin: answer.get('access-control-allow-origin'),
    credentials: answer.get('access-control-allow-credentials'),
  };
}

describe('origin policy (production, PUBLIC_ORIGIN set by the stack)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        NODE_ENV: 'production',
        PUBLIC_ORIGIN: 'https://api.example.com',
        ALLOWED_ORIGINS: 'https://app.example.com',
      },
    });
  });
  afterAll(() => t.stop());

  test.each([
    ['DNS rebinding: Origin http://evil.com with Host evil.com', { origin: 'http://evil.com', host: 'evil.com' }],
    [
      'Origin matching the Host header the request names',
      { origin: 'https://api.attacker.net', host: 'api.attacker.net' },
    ],
    ['the public origin with the wrong scheme', { origin: 'http://api.example.com', host: 'api.example.com' }],
    ['an allowed origin with the wrong scheme', { origin: 'http://app.example.com' }],
    ['an allowed origin on another port', { origin: 'https://app.example.com:8443' }],
  ])('%s: upgrade refused with 403, no CORS headers', async (_name, headers) => {
    expect(await upgradeStatus(t.wsUrl, headers)).toBe(403);
    expect(await corsOrigin(t, headers)).toEqual({ origin: null, credentials: null });
  });

  test.each([['https://api.example.com'], ['https://app.example.com'], ['https://APP.example.com:443']])(
    'configured origin %s: upgrade accepted, credentialed CORS answer',
    async (origin) => {
      expect(await upgradeStatus(t.wsUrl, { origin, host: 'whatever.example' })).toBe(101);
      const cors = await corsOrigin(t, { origin });
      expect(cors.origin).toBe(origin);
      expect(cors.credentials).toBe('true');
    },
  );

  test('production without PUBLIC_ORIGIN does not allow the listening address', async () => {
    const bare = await startTestApp({ env: { NODE_ENV: 'production' } });
    try {
      const origin = `http://127.0.0.1:${bare.port}`;
      expect(await upgradeStatus(bare.wsUrl, { origin })).toBe(403);
      expect((await corsOrigin(bare, { origin })).origin).toBeNull();
    } finally {
      await bare.stop();
    }
  });
});

describe('origin policy (development, no PUBLIC_ORIGIN)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  test('the listening address is allowed (GraphiQL), whatever the Host header says', async () => {
    for (const origin of [`http://127.0.0.1:${t.port}`, `http://localhost:${t.port}`]) {
      expect(await upgradeStatus(t.wsUrl, { origin, host: 'evil.com' })).toBe(101);
    }
  });

  test('DNS rebinding against a local development server is refused', async () => {
    const headers = { origin: `http://evil.com:${t.port}`, host: `evil.com:${t.port}` };
    expect(await upgradeStatus(t.wsUrl, headers)).toBe(403);
    expect((await corsOrigin(t, headers)).origin).toBeNull();
  });
});
