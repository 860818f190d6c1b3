/**
 * Scenario 1: a wss:// subscription through the TLS-terminating proxy, and a mutation sent over https
 * that the *other* instance serves, is delivered: the fan-out between instances goes through Redis.
 * Real redis-server, two service processes, nginx as the ALB, the recommended graphql-ws client.
 */
import { socketInstanceId, startStack, MESSAGE_POSTED, type Message, type Stack } from '../../e2e/stack';
import { waitFor, withoutRecordedFailures } from '../../testkit/wait';

describe('scenario 1: cross-instance delivery through the proxy', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('delivers a mutation served by the other instance to a wss:// subscriber', async () => {
    const client = stack.client();
    const subscriberInstance = await socketInstanceId(client);
    const other = stack.instances.find((i) => i.instanceId !== subscriberInstance);
    expect(other).toBeDefined();

    const received: Message[] = [];
    client.subscribe<{ messagePosted: Message }>(
      { query: MESSAGE_POSTED, variables: { room: 'lobby' } },
      {
        next: (r) => r.data && received.push(r.data.messagePosted),
        error: (e) => {
          throw new Error(`subscription failed: ${JSON.stringify(e)}`);
        },
        complete: () => undefined,
      },
    );

    // Post until a message served by the other instance arrives. Which instance served each POST is read
    // from the proxy's access log (upstream address), as it would be from the ALB's.
    const posted: { id: string; text: string; servedBy: string }[] = [];
    // A POST that fails is recorded, not retried away: waitFor would swallow an assertion thrown in its check.
    const failures: unknown[] = [];
    const crossed = await withoutRecordedFailures(
      'failed posts',
      failures,
      waitFor(
        'a message served by the other instance to arrive',
        async () => {
          const text = `hello ${posted.length}`;
          const res = await stack.post('lobby', text);
          if (res.errors !== undefined || res.data === undefined) {
            failures.push(res.errors ?? 'no data');
            return undefined;
          }
          const log = (await stack.proxy.accessLog()).trim().split('\n');
          const last = [...log].reverse().find((l) => l.includes('"POST /graphql'));
          const port = Number(/upstream=127\.0\.0\.1:(\d+)/.exec(last ?? '')?.[1]);
          const servedBy = stack.instances.find((i) => i.port === port)?.instanceId ?? 'unknown';
          posted.push({ id: res.data.postMessage.id, text, servedBy });
          return posted.find((p) => p.servedBy === other!.instanceId && received.some((m) => m.id === p.id));
        },
        15_000,
        100,
      ),
    );
    // The subscriber on this instance got the other instance's event whole.
    expect(received.find((m) => m.id === crossed.id)).toMatchObject({ room: 'lobby', text: crossed.text });
    // Nothing went wrong on the socket meanwhile.
    expect(client.stats.closeCodes).toEqual([]);
    expect(client.stats.connects).toBe(1);
  });
});
