/**
 * Resumable subscriptions over SSE with a real EventSource client (the `eventsource` package, the WHATWG
 * EventSource for Node): each event has an `id:` (its position); after the connection is cut, EventSource
 * reconnects with Last-Event-ID and gets every message posted meanwhile, once, in order, after a recovery
 * result. A malformed Last-Event-ID is answered with INVALID_POSITION, not a crash.
 */
import { EventSource } from 'eventsource';
import { INVALID_POSITION } from '../../service/src/history/position';
import { startTestApp, type TestApp } from '../../testkit/app';
import { MESSAGE_POSTED, postMessage } from '../../testkit/clients';
import { waitFor } from '../../testkit/wait';

jest.setTimeout(30_000);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

const subscriptionUrl = (room: string) =>
  `${app.graphqlUrl}?query=${encodeURIComponent(MESSAGE_POSTED)}&variables=${encodeURIComponent(JSON.stringify({ room }))}`;

interface NextResult {
  data?: { messagePosted: { text: string } };
  extensions?: { position?: string; recovery?: { recovered: boolean; replayed?: number; reason?: string } };
}

test('EventSource reconnects with Last-Event-ID and receives every message posted while it was away, once', async () => {
  // The cut: each response body of the EventSource is relayed through a stream this test can end (as a
  // dropped connection looks to EventSource), aborting the real request so the server sees it go.
  const cuts: (() => void)[] = [];
  const lastEventIds: (string | null)[] = [];
  const source = new EventSource(subscriptionUrl('sse-resume'), {
    fetch: async (input, init) => {
      lastEventIds.push(new Headers(init?.headers).get('last-event-id'));
      const abort = new AbortController();
      const response = await fetch(input, { ...init, signal: abort.signal });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          cuts.push(() => {
            abort.abort();
            controller.close();
          });
        },
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            if (done) controller.close();
            else controller.enqueue(value);
          } catch {
            // cut
          }
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    },
  });
  const results: NextResult[] = [];
  const ids: string[] = [];
  source.addEventListener('next', (event) => {
    results.push(JSON.parse(event.data) as NextResult);
    ids.push(event.lastEventId);
  });
  try {
    await waitFor('connected', () => source.readyState === EventSource.OPEN);
    await waitFor('subscribed', () => app.app.pubsub.subscriberCount('messagePosted', 'sse-resume') === 1);
    await postMessage(app.graphqlUrl, 'sse-resume', 'm1');
    await waitFor('m1', () => results.length === 1);
    const firstPosition = results[0]?.extensions?.position;
    expect(typeof firstPosition).toBe('string');
    expect(ids[0]).toBe(firstPosition);

    cuts[0]?.();
    await waitFor('cut', () => app.app.pubsub.subscriberCount('messagePosted', 'sse-resume') === 0);
    for (const text of ['m2', 'm3', 'm4']) await postMessage(app.graphqlUrl, 'sse-resume', text);

    await waitFor('reconnected and caught up', () => results.length === 5, 15_000);
    await postMessage(app.graphqlUrl, 'sse-resume', 'm5');
    await waitFor('live', () => results.length === 6);

    expect(lastEventIds).toEqual([null, firstPosition]);
    expect(results[1]).toEqual({ extensions: { recovery: { recovered: true, replayed: 3 } } });
    const texts = results.filter((r) => r.data !== undefined).map((r) => r.data?.messagePosted.text);
    expect(texts).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    const positions = results.flatMap((r) => (r.extensions?.position !== undefined ? [r.extensions.position] : []));
    expect(new Set(positions).size).toBe(5);
  } finally {
    source.close();
  }
});

test('a malformed Last-Event-ID gets an INVALID_POSITION error event; the service carries on', async () => {
  const response = await fetch(subscriptionUrl('sse-bad'), {
    headers: { accept: 'text/event-stream', 'last-event-id': '1.epoch.not-a-number' },
  });
  const text = await response.text();
  expect(text).toContain('event: next');
  expect(text).toContain(INVALID_POSITION);
  expect(text).toContain('event: complete');
  expect((await postMessage(app.graphqlUrl, 'sse-bad', 'still up')).body.data?.postMessage.text).toBe('still up');
});
