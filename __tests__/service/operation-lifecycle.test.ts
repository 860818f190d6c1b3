/**
 * Operations of a socket end with it, and the per-socket cap counts every operation that runs.
 *
 * graphql-ws's core can lose track of an operation: `subscribe x`, `complete x`, `subscribe x` sent back to
 * back leave the first `x` running after the core has forgotten it (the second one re-adds the id while the
 * first is still starting), so it was neither counted against MAX_SUBSCRIPTIONS_PER_SOCKET nor ended when
 * the socket closed. The service tracks what it hands the core per socket.
 */
import { startTestApp, type TestApp } from '../../testkit/app';
import { initializedSocket } from '../../testkit/clients';
import { waitFor } from '../../testkit/wait';

const MESSAGE_POSTED = 'subscription ($room: String!) { messagePosted(room: $room) { id text } }';
const CAP = 2;

describe.each([true, false])('operations end with their socket (shared subscriptions: %s)', (shared) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { LOG_LEVEL: 'error', SHARED_SUBSCRIPTIONS: String(shared) },
      limits: { maxSubscriptionsPerSocket: CAP },
    });
  });
  afterAll(() => t.stop());

  const listeners = (room: string) => t.app.pubsub.subscriberCount('messagePosted', room);

  test('subscribe/complete/subscribe with one id, back to back: never more than the cap running, nothing left after close', async () => {
    const room = `churn-${shared}`;
    const socket = await initializedSocket(t.wsUrl);
    const subscribe = { id: 'x', type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room } } };
    for (let i = 0; i < 20; i++) {
      socket.send(subscribe);
      socket.send({ id: 'x', type: 'complete' });
    }
    socket.send(subscribe);

    // Let every operation the frames started settle: at least one is running, never more than the cap.
    await waitFor('a listener', () => listeners(room) >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(listeners(room)).toBeGreaterThanOrEqual(1);
    if (shared) expect(t.app.sharedSubscriptions().members).toBeLessThanOrEqual(CAP);
    else expect(listeners(room)).toBeLessThanOrEqual(CAP);

    socket.close();
    await socket.closed;
    await waitFor('no listener after close', () => listeners(room) === 0);
    expect(t.app.sharedSubscriptions()).toEqual({ groups: 0, members: 0 });
  });
});
