/**
 * Environment parsing: defaults, every validation naming variable, value and range, all problems at
 * once, and agreement with the timing the infrastructure hands over (constructs/timing.ts).
 */
import { resolveTiming, timingEnvironment } from '../../../constructs/timing';
import { ConfigError, DEFAULT_LIMITS, loadConfig } from '../../../service/src/config';
import { ENV, TIMING_DEFAULTS } from '../../../service/src/container-contract';

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  test('defaults: port 4000, development, in-memory pub/sub, anonymous, timing as constructs/timing.ts', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '0.0.0.0',
      mode: 'development',
      logLevel: 'info',
      keepaliveIntervalMs: TIMING_DEFAULTS.keepaliveIntervalSeconds * 1000,
      drainWindowMs: TIMING_DEFAULTS.drainWindowSeconds * 1000,
      drainPollIntervalMs: TIMING_DEFAULTS.drainPollIntervalSeconds * 1000,
      lbIdleTimeoutMs: TIMING_DEFAULTS.idleTimeoutSeconds * 1000,
      allowedOrigins: [],
      limits: DEFAULT_LIMITS,
    });
    expect(config.redis).toBeUndefined();
    expect(config.jwt).toBeUndefined();
    expect(config.ecsMetadataUri).toBeUndefined();
    expect(config.instanceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(loadConfig({}).instanceId).not.toBe(config.instanceId);
  });

  test('reads what the task definition passes for the timing (timingEnvironment)', () => {
    const timing = resolveTiming({
      keepaliveIntervalSeconds: 7.5,
      idleTimeoutSeconds: 900,
      drainWindowSeconds: 20,
      drainPollIntervalSeconds: 0.5,
    });
    const config = loadConfig(timingEnvironment(timing));
    expect(config.keepaliveIntervalMs).toBe(7_500);
    expect(config.drainWindowMs).toBe(20_000);
    expect(config.drainPollIntervalMs).toBe(500);
    expect(config.lbIdleTimeoutMs).toBe(900_000);
  });

  test('GIVEN an idle timeout under twice the keepalive WHEN the service starts THEN it refuses, as synth does', () => {
    // The same values fail at synth (constructs/timing.ts) and at start: one rule, two readers.
    expect(() => resolveTiming({ keepaliveIntervalSeconds: 20, idleTimeoutSeconds: 30 })).toThrow(
      /'idleTimeoutSeconds' must be at least 2x keepaliveIntervalSeconds \(20\), i.e. >= 40/,
    );
    expect(problemsOf({ [ENV.keepaliveIntervalMs]: '20000', [ENV.lbIdleTimeoutMs]: '30000' })).toEqual([
      `${ENV.lbIdleTimeoutMs}=30000 must be at least 2x ${ENV.keepaliveIntervalMs} (20000), i.e. >= 40000; ` +
        `raise ${ENV.lbIdleTimeoutMs} or lower ${ENV.keepaliveIntervalMs}, or quiet sockets are cut with 1006`,
    ]);
    // At the edge both accept.
    expect(() => resolveTiming({ keepaliveIntervalSeconds: 20, idleTimeoutSeconds: 40 })).not.toThrow();
    expect(loadConfig({ [ENV.keepaliveIntervalMs]: '20000', [ENV.lbIdleTimeoutMs]: '40000' }).lbIdleTimeoutMs).toBe(
      40_000,
    );
  });

  test('GIVEN timing out of the range synth allows WHEN the service starts THEN the range is named in ms', () => {
    expect(problemsOf({ [ENV.lbIdleTimeoutMs]: '4001000' })).toEqual([
      `${ENV.lbIdleTimeoutMs}='4001000' must be an integer in 1000..4000000 (ms)`,
    ]);
    expect(() => resolveTiming({ idleTimeoutSeconds: 4001 })).toThrow(
      /'idleTimeoutSeconds' must be an integer in 1..4000/,
    );
  });

  test('NODE_ENV=production is production mode', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).mode).toBe('production');
    expect(loadConfig({ NODE_ENV: 'test' }).mode).toBe('development');
  });

  test.each([
    [ENV.port, '70000', /PORT='70000' must be an integer in 0\.\.65535/],
    [ENV.port, 'abc', /PORT='abc' must be an integer/],
    [ENV.nodeEnv, 'prod', /NODE_ENV='prod' must be one of production \| development \| test/],
    [ENV.logLevel, 'verbose', /LOG_LEVEL='verbose' must be one of debug \| info \| warn \| error/],
    [ENV.keepaliveIntervalMs, '50', /KEEPALIVE_INTERVAL_MS='50' must be an integer in 100\.\.3600000 \(ms\)/],
    [ENV.keepaliveIntervalMs, '1.5', /KEEPALIVE_INTERVAL_MS='1\.5' must be an integer/],
    [ENV.drainWindowMs, '-1', /DRAIN_WINDOW_MS='-1' must be an integer in 0\.\.3600000/],
    [ENV.drainPollIntervalMs, '0', /DRAIN_POLL_INTERVAL_MS='0' must be an integer in 100\.\.60000/],
    [ENV.lbIdleTimeoutMs, '500', /LB_IDLE_TIMEOUT_MS='500' must be an integer in 1000\.\.4000000 \(ms\)/],
    [ENV.ecsMetadataUri, 'not a url', /ECS_CONTAINER_METADATA_URI_V4='not a url' is not a valid URL/],
    [ENV.redisUrl, 'http://cache:6379', /REDIS_URL='http:\/\/cache:6379' must use redis: or rediss: \(got http:\)/],
    [ENV.redisTls, 'yes', /REDIS_TLS='yes' must be 'true' or 'false'/],
    [
      ENV.allowedOrigins,
      'https://app.example.com/path',
      /ALLOWED_ORIGINS entry 'https:\/\/app\.example\.com\/path' must be an exact origin/,
    ],
    [ENV.allowedOrigins, '*', /ALLOWED_ORIGINS entry '\*' must be an exact origin/],
    [ENV.allowedOrigins, 'app.example.com', /ALLOWED_ORIGINS entry 'app\.example\.com'/],
    [ENV.maxPayloadBytes, '100', /MAX_PAYLOAD_BYTES='100' must be an integer in 1024\.\.16777216 \(bytes\)/],
    [ENV.connectionInitTimeoutMs, '0', /CONNECTION_INIT_TIMEOUT_MS='0' must be an integer in 100\.\.60000/],
    [ENV.maxSubscriptionsPerSocket, '0', /MAX_SUBSCRIPTIONS_PER_SOCKET='0' must be an integer in 1\.\.1000/],
    [ENV.maxConnections, '0', /MAX_CONNECTIONS='0' must be an integer in 1\.\.1000000/],
    [ENV.jwtSecret, 'short', /JWT_SECRET must be at least 32 bytes for HS256 \(got 5 bytes\)/],
    [ENV.jwtJwksUrl, 'ftp://keys', /JWT_JWKS_URL='ftp:\/\/keys' must use https: or http:/],
  ])('%s=%s is refused with a message naming it, the value and the range', (name, value, message) => {
    // REDIS_TLS alone is also "set without REDIS_URL"; give it a URL so only its own problem shows.
    const base: Record<string, string> = name === ENV.redisTls ? { [ENV.redisUrl]: 'redis://cache:6379' } : {};
    const problems = problemsOf({ ...base, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test('every problem is reported at once, in one error message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'x', LOG_LEVEL: 'loud', MAX_CONNECTIONS: '-5' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toHaveLength(3);
    expect((error as Error).message).toMatch(/PORT='x'[\s\S]*LOG_LEVEL='loud'[\s\S]*MAX_CONNECTIONS='-5'/);
  });

  test('credentials in a bad Redis URL are not echoed', () => {
    const [problem] = problemsOf({ REDIS_URL: 'http://:s3cret@cache:6379' });
    expect(problem).not.toContain('s3cret');
    expect(problem).toContain('//***@cache');
  });

  test('Redis: rediss:// or REDIS_TLS=true turns TLS on; the auth token is carried', () => {
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379' }).redis).toEqual({ url: 'redis://cache:6379', tls: false });
    expect(loadConfig({ REDIS_URL: 'rediss://cache:6379' }).redis?.tls).toBe(true);
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379', REDIS_TLS: 'true', REDIS_AUTH_TOKEN: 'tok' }).redis).toEqual({
      url: 'redis://cache:6379',
      tls: true,
      authToken: 'tok',
    });
  });

  test('Redis options without REDIS_URL are a mistake, not silently ignored', () => {
    expect(problemsOf({ REDIS_AUTH_TOKEN: 'tok' })[0]).toMatch(
      /REDIS_AUTH_TOKEN\/REDIS_TLS are set but REDIS_URL is not/,
    );
  });

  test('ALLOWED_ORIGINS: exact origins, trailing slash tolerated', () => {
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://app.example.com/, http://localhost:3000' }).allowedOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:3000',
    ]);
  });

  test('JWT: secret or JWKS URL, with issuer and audiences', () => {
    const secret = 'x'.repeat(32);
    expect(loadConfig({ JWT_SECRET: secret, JWT_ISSUER: 'iss', JWT_AUDIENCE: 'a, b' }).jwt).toEqual({
      secret,
      issuer: 'iss',
      audience: ['a', 'b'],
      clockToleranceSeconds: 5,
    });
    expect(
      loadConfig({ JWT_JWKS_URL: 'https://id.example.com/jwks.json', JWT_CLOCK_TOLERANCE_SECONDS: '0' }).jwt,
    ).toEqual({
      jwksUrl: 'https://id.example.com/jwks.json',
      clockToleranceSeconds: 0,
    });
  });

  test('JWT: both a secret and a JWKS URL is ambiguous', () => {
    expect(problemsOf({ JWT_SECRET: 'x'.repeat(32), JWT_JWKS_URL: 'https://id.example.com/jwks.json' })[0]).toMatch(
      /set exactly one/,
    );
  });

  test('JWT: issuer or audience without a key would leave the API anonymous: refused', () => {
    expect(problemsOf({ JWT_ISSUER: 'iss' })[0]).toMatch(/neither JWT_SECRET nor JWT_JWKS_URL/);
  });
});
