/**
 * Zombie operations: on one socket, `subscribe c` then `complete c` sent back to back hundreds of times
 * (the last frame a `complete`). The frames come from separate client processes, as a real client's do,
 * so they arrive while earlier subscribes with the same id are still starting. Afterwards nothing may run
 * for `c`: no listener, no `next` frame for the completed id, room for new subscriptions, nothing left
 * once the socket closes.
 */
import { startTestApp, type TestApp } from '../../testkit/app';
import { postMessage } from '../../testkit/clients';
import { remoteSocket, type RemoteSocket } from '../../testkit/remote-socket';
import { sleep, waitFor } from '../../testkit/wait';

const MESSAGE_POSTED = 'subscription ($room: String!) { messagePosted(room: $room) { id text } }';
// Without the per-socket gate on operation ids, most of these sockets were left with operations running
// (up to the cap of 50), with shared subscriptions on and off.
const SOCKETS = 4;
const PAIRS = 500;

describe.each([true, false])('zombie operations (shared subscriptions: %s)', (shared) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'warn', SHARED_SUBSCRIPTIONS: String(shared) } });
  });
  afterAll(() => t.stop());

  const listeners = (room: string) => t.app.pubsub.subscriberCount('messagePosted', room);
  const subscribe = (id: string, room: string) => ({
    id,
    type: 'subscribe',
    payload: { query: MESSAGE_POSTED, variables: { room } },
  });
  const nexts = (socket: RemoteSocket, id: string) =>
    socket.messages.filter((m) => m.id === id && m.type === 'next').length;

  test(`${SOCKETS} sockets, each ${PAIRS} x subscribe/complete of one id: nothing outlives the last complete`, async () => {
    const rooms = Array.from({ length: SOCKETS }, (_, i) => `zombie-${shared}-${i}`);
    const sockets = await Promise.all(rooms.map(() => remoteSocket(t.wsUrl)));
    try {
      for (const [i, socket] of sockets.entries()) {
        await socket.send([subscribe('c', rooms[i]!), { id: 'c', type: 'complete' }], PAIRS);
      }
      // A pong means the service has read every frame sent before the ping.
      await Promise.all(sockets.map((socket) => socket.send([{ type: 'ping' }])));
      await Promise.all(sockets.map((socket) => socket.waitForMessage((m) => m.type === 'pong')));
      // Subscribes still starting when their complete arrived end as soon as they have started.
      const none = rooms.map(() => 0);
      await waitFor('no listener left', () => rooms.every((room) => listeners(room) === 0), 5_000).catch(() => none);
      expect(rooms.map(listeners)).toEqual(none);
      expect(t.app.sharedSubscriptions()).toEqual({ groups: 0, members: 0 });

      // A new subscription on each socket runs (no TOO_MANY_OPERATIONS) and gets the next event; `c` gets none.
      await Promise.all(sockets.map((socket, i) => socket.send([subscribe('d', rooms[i]!)])));
      await waitFor('every new subscription live', async () => {
        await Promise.all(rooms.map((room) => postMessage(t.graphqlUrl, room, 'probe')));
        await sleep(50);
        return sockets.every((socket) => nexts(socket, 'd') > 0);
      });
      await sleep(100);
      expect(sockets.map((socket) => socket.messages.filter((m) => m.type === 'error'))).toEqual(none.map(() => []));
      expect(sockets.map((socket) => nexts(socket, 'c'))).toEqual(none);
    } finally {
      await Promise.all(sockets.map((socket) => socket.close()));
    }
    await waitFor('no listener after close', () => rooms.every((room) => listeners(room) === 0));
    expect(t.app.sharedSubscriptions()).toEqual({ groups: 0, members: 0 });
  }, 60_000);

  test('the same burst ending with a subscribe leaves exactly that one running, once per event', async () => {
    const room = `resubscribed-${shared}`;
    const socket = await remoteSocket(t.wsUrl);
    try {
      await socket.send([subscribe('c', room), { id: 'c', type: 'complete' }], PAIRS);
      await socket.send([subscribe('c', room)]);
      await waitFor('the last subscribe live', async () => {
        await postMessage(t.graphqlUrl, room, 'probe');
        await sleep(50);
        return nexts(socket, 'c') > 0;
      });
      // Whatever was still starting has settled by now: one operation, one frame per event.
      await sleep(200);
      expect(listeners(room)).toBe(1);
      if (shared) expect(t.app.sharedSubscriptions()).toEqual({ groups: 1, members: 1 });
      const before = nexts(socket, 'c');
      await postMessage(t.graphqlUrl, room, 'once');
      await socket.waitForMessage((m) => m.id === 'c' && JSON.stringify(m.payload).includes('"once"'));
      await sleep(100);
      expect(nexts(socket, 'c')).toBe(before + 1);

      await socket.send([{ id: 'c', type: 'complete' }]);
      await waitFor('no listener after the complete', () => listeners(room) === 0);
    } finally {
      await socket.close();
    }
  });
});
