/**
 * Cross-site request forgery: a page on another site can make a browser send a "simple" POST (form
 * encodings, text/plain) without a CORS preflight. Such a POST carrying a mutation is refused with 403
 * and the mutation does not run; JSON POSTs (preflighted by browsers) and POSTs carrying the CSRF header
 * work as before.
 */
import { CSRF_HEADER } from '../../service/src/yoga';
import { startTestApp, type TestApp } from '../../testkit/app';
import { waitFor } from '../../testkit/wait';
import {
  graphqlPost,
  POST_MESSAGE,
  postMessage,
  subscribeRoomReady,
  wsClient,
  type RecordedWsClient,
  type Subscription,
} from '../../testkit/clients';

const ROOM = 'csrf-room';
const MUTATION = `mutation { postMessage(room: "${ROOM}", text: "forged") { id } }`;

function forgedBodies(): Array<[string, () => { body: BodyInit; headers: Record<string, string> }]> {
  return [
    [
      'application/x-www-form-urlencoded',
      () => ({
        body: new URLSearchParams({ query: MUTATION }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    ],
    ['text/plain', () => ({ body: JSON.stringify({ query: MUTATION }), headers: { 'content-type': 'text/plain' } })],
    [
      'multipart/form-data',
      () => {
        const form = new FormData();
        form.set('operations', JSON.stringify({ query: MUTATION }));
        form.set('map', '{}');
        return { body: form, headers: {} };
      },
    ],
  ];
}

describe('CSRF prevention', () => {
  let t: TestApp;
  let client: RecordedWsClient;
  let room: Subscription;
  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'error' } });
    client = wsClient(t.wsUrl);
    room = await subscribeRoomReady(client.client, ROOM, (text) => postMessage(t.graphqlUrl, ROOM, text));
  });
  afterAll(async () => {
    await client.dispose();
    await t.stop();
  });

  /** Messages posted to the room up to a marker posted now: a mutation that ran shows up before it. */
  const forgedCount = async () => {
    const marker = `marker-${Date.now()}-${Math.random()}`;
    await postMessage(t.graphqlUrl, ROOM, marker);
    await waitFor('the marker', () => room.received.some((m) => m.text === marker));
    return room.received.filter((m) => m.text === 'forged').length;
  };

  test.each(forgedBodies())(
    'a cross-site %s POST with a mutation and no preflight header is refused with 403 and does not run',
    async (_type, make) => {
      const { body, headers } = make();
      const response = await fetch(t.graphqlUrl, {
        method: 'POST',
        headers: { origin: 'http://evil.example', ...headers },
        body,
      });
      expect(response.status).toBe(403);
      expect(await response.text()).toMatch(/CSRF/);
      expect(await forgedCount()).toBe(0);
    },
  );

  test('the same form POST with the CSRF header (only a preflighted request can add it) runs the mutation', async () => {
    const before = await forgedCount();
    const response = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: {
        origin: 'http://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
        [CSRF_HEADER]: '1',
      },
      body: new URLSearchParams({ query: MUTATION }).toString(),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: { postMessage?: { id?: unknown } }; errors?: unknown };
    expect(body).toEqual({ data: { postMessage: { id: expect.any(String) } } });
    expect(await forgedCount()).toBe(before + 1);
  });

  test('JSON POSTs (preflighted by browsers) and GET queries need no header', async () => {
    const post = await graphqlPost(t.graphqlUrl, POST_MESSAGE, { room: 'csrf-json', text: 'fine' });
    expect(post.status).toBe(200);
    expect(post.body.errors).toBeUndefined();
    const get = await fetch(`${t.graphqlUrl}?query=${encodeURIComponent('{ serverInfo { version } }')}`);
    expect(get.status).toBe(200);
  });
});
