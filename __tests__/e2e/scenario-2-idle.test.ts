/**
 * Scenario 2: idle sockets behind the proxy's idle timeout (the ALB's, scaled down further than the other
 * scenarios': 3 s).
 *
 * A subscription that sees no event for 3x the idle timeout stays open because the server's keepalive
 * pings (1 s, from the same timing object as nginx's timeout) count as traffic. With keepalive off, the
 * proxy cuts the same socket after the idle timeout and the client sees 1006: the scenario can fail.
 *
 * The service cannot switch its keepalive off, so "off" is 2000 s: no ping within the test. The service
 * refuses a keepalive over half the load balancer idle timeout it is told, so that instance is told the
 * largest one the ALB allows (4000 s) while nginx keeps 3 s: the mismatch a hand-edited task definition
 * would make, set directly instead of through the timing object.
 */
import { ENV } from '../../service/src/container-contract';
import { MESSAGE_POSTED, startStack, type Message, type Stack } from '../../e2e/stack';
import type { RecommendedClient } from '../../client';
import { sleep, waitFor } from '../../testkit/wait';

const ROOM = 'quiet';
/** Idle 3 s, so 9 s of silence in all; keepalive 1 s, within the rule's limit of half the idle timeout. */
const TIMING = { keepaliveIntervalSeconds: 1, idleTimeoutSeconds: 3 };
const KEEPALIVE_OFF_ENV = { [ENV.keepaliveIntervalMs]: '2000000', [ENV.lbIdleTimeoutMs]: '4000000' };

interface Watched {
  readonly client: RecommendedClient;
  readonly received: Message[];
  connectedAt?: number;
  firstCloseAt?: number;
}

function watch(stack: Stack, clientKeepAliveMs: number): Watched {
  const watched: Watched = {
    client: stack.client({
      keepAliveMs: clientKeepAliveMs,
      on: {
        connected: () => (watched.connectedAt ??= Date.now()),
        closed: () => (watched.firstCloseAt ??= Date.now()),
      },
    }),
    received: [],
  };
  watched.client.subscribe<{ messagePosted: Message }>(
    { query: MESSAGE_POSTED, variables: { room: ROOM } },
    {
      next: (r) => r.data && watched.received.push(r.data.messagePosted),
      error: () => undefined,
      complete: () => undefined,
    },
  );
  return watched;
}

describe('scenario 2: idle subscriptions and the proxy idle timeout', () => {
  let withKeepalive: Stack;
  let withoutKeepalive: Stack;
  let idleMs: number;
  let serverKeepalive: Watched;
  let noKeepalive: Watched;
  let clientKeepaliveOnly: Watched;

  beforeAll(async () => {
    [withKeepalive, withoutKeepalive] = await Promise.all([
      startStack({ instances: 1, timing: TIMING }),
      startStack({ instances: 1, timing: TIMING, env: KEEPALIVE_OFF_ENV }),
    ]);
    idleMs = withKeepalive.timing.idleTimeoutSeconds * 1000;
    expect(withKeepalive.proxy.config).toContain(`proxy_read_timeout ${withKeepalive.timing.idleTimeoutSeconds}s;`);

    // The clients' own pings are off, except in the third case, so only the server's keepalive is tested.
    serverKeepalive = watch(withKeepalive, 0);
    noKeepalive = watch(withoutKeepalive, 0);
    clientKeepaliveOnly = watch(withoutKeepalive, withKeepalive.timing.keepaliveIntervalSeconds * 1000);
    await waitFor(
      'all three connected',
      () => serverKeepalive.connectedAt && noKeepalive.connectedAt && clientKeepaliveOnly.connectedAt,
    );
    // No event in the room for 3x the idle timeout.
    await sleep(3 * idleMs);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([withKeepalive?.stop(), withoutKeepalive?.stop()]);
  });

  it('keeps a subscription with no events open for 3x the idle timeout thanks to the server keepalive', async () => {
    expect(serverKeepalive.firstCloseAt).toBeUndefined();
    expect(serverKeepalive.client.stats.closeCodes).toEqual([]);
    expect(serverKeepalive.client.stats.connects).toBe(1);
    // And the socket still works end to end.
    await waitFor(
      'delivery after the idle period',
      async () => {
        await withKeepalive.post(ROOM, 'still there?');
        return serverKeepalive.received.length > 0;
      },
      5_000,
      200,
    );
    expect(serverKeepalive.client.stats.connects).toBe(1);
  });

  it('with keepalive off, the proxy cuts the socket after the idle timeout and the client sees 1006', async () => {
    expect(noKeepalive.firstCloseAt).toBeDefined();
    expect(noKeepalive.client.stats.closeCodes[0]).toBe(1006);
    const lifetime = noKeepalive.firstCloseAt! - noKeepalive.connectedAt!;
    expect(lifetime).toBeGreaterThanOrEqual(idleMs - 500);
    expect(lifetime).toBeLessThan(idleMs + 2_500);
    // It was the proxy: nginx logged the read timeout on the upgraded connection.
    expect(await withoutKeepalive.proxy.errorLog()).toMatch(/upstream timed out .* while proxying upgraded connection/);
    // The recommended client reconnected by itself.
    expect(noKeepalive.client.stats.reconnects).toBeGreaterThanOrEqual(1);
  });

  it("with the server's keepalive off, the recommended client's own pings keep the socket open", async () => {
    expect(clientKeepaliveOnly.firstCloseAt).toBeUndefined();
    expect(clientKeepaliveOnly.client.stats.closeCodes).toEqual([]);
    expect(clientKeepaliveOnly.client.stats.pongTimeouts).toBe(0);
  });
});
