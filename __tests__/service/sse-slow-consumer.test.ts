/**
 * A paused SSE reader: a real client on loopback that stops reading its response while events keep
 * coming. Once the socket buffers are full and its subscription queue overflows, the stream must not hold
 * its connection slot (and TCP connection) forever: the server ends it on a write timeout of about one
 * keepalive interval, as it frees a WebSocket that stops answering pings.
 */
import { request, type IncomingMessage } from 'node:http';
import { startTestApp, type TestApp } from '../../testkit/app';
import { MESSAGE_POSTED } from '../../testkit/clients';
import { sleep, waitFor } from '../../testkit/wait';

const ROOM = 'paused';

/** Opens an SSE subscription with node's http client; resolves with the response once headers arrived. */
function openPausableStream(t: TestApp): Promise<{ res: IncomingMessage; received: () => number }> {
  return new Promise((resolve, reject) => {
    const req = request(t.graphqlUrl, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => (received += chunk.length));
      res.on('error', () => undefined);
      resolve({ res, received: () => received });
    });
    req.end(JSON.stringify({ query: MESSAGE_POSTED, variables: { room: ROOM } }));
  });
}

describe('SSE: a paused reader', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { LOG_LEVEL: 'info', KEEPALIVE_INTERVAL_MS: '500' },
      limits: { maxQueuedEventsPerSubscription: 100 },
    });
  });
  afterAll(() => t.stop());

  test('is ended after its buffers fill and its queue overflows, freeing its slot and socket', async () => {
    const stream = await openPausableStream(t);
    // Live once a published event reaches it.
    const publish = (text: string) =>
      t.app.pubsub.publish('messagePosted', ROOM, { id: text, room: ROOM, text, sentAt: new Date().toISOString() });
    await waitFor('the stream to be live', async () => {
      await publish('probe');
      await sleep(20);
      return stream.received() > 0;
    });
    expect(t.app.connections().sse).toBe(1);

    // The reader stops reading; events keep coming (about 2 KB each) until its queue overflows.
    stream.res.pause();
    const big = 'x'.repeat(2_000);
    const startedAt = Date.now();
    let published = 0;
    // At most about 24 MB: far more than the loopback socket buffers and the queue hold.
    while (t.app.connections().sse > 0 && published < 12_000 && Date.now() - startedAt < 15_000) {
      for (let i = 0; i < 50; i++) await publish(`${big}-${published++}`);
      await sleep(2);
    }
    const stoppedAt = Date.now();

    // Freed within a few keepalive intervals of the stall, not held forever.
    await waitFor('the paused stream to be ended', () => t.app.connections().sse === 0, 5_000);
    const serverConnections = () =>
      new Promise<number>((resolve) => t.app.httpServer.getConnections((_err, count) => resolve(count)));
    await waitFor('the server to close its TCP connection', async () => (await serverConnections()) === 0, 2_000);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(t.app.counters().sseWriteTimeouts).toBe(1);
    expect(t.logs.find((l) => l.event === 'sse.close')).toMatchObject({ reason: 'write timeout' });
    stream.res.destroy();
  });
});
