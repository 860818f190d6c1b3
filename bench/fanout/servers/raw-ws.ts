/**
 * (a) The floor: plain `ws` speaking just enough graphql-transport-ws for the load generator. A post is
 * serialized once into a `next` frame and that one buffer is sent to every socket in the room: no
 * GraphQL execution, no per-subscriber work beyond the socket write.
 */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { BenchServer } from './types';

interface Subscriber {
  readonly socket: WebSocket;
  readonly id: string;
}

export async function startRawWs(): Promise<BenchServer> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    clientTracking: true,
    handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false),
  });
  // room -> operation id -> sockets: one pre-serialized frame per (room, id).
  const rooms = new Map<string, Map<string, Set<WebSocket>>>();
  let nextMessageId = 0;

  const join = (room: string, sub: Subscriber) => {
    let byId = rooms.get(room);
    if (!byId) rooms.set(room, (byId = new Map()));
    let sockets = byId.get(sub.id);
    if (!sockets) byId.set(sub.id, (sockets = new Set()));
    sockets.add(sub.socket);
  };
  const leave = (room: string, sub: Subscriber) => rooms.get(room)?.get(sub.id)?.delete(sub.socket);

  const broadcast = (room: string, text: string): string => {
    const id = String(++nextMessageId);
    const message = { id, room, text };
    for (const [opId, sockets] of rooms.get(room) ?? []) {
      const frame = Buffer.from(
        JSON.stringify({ id: opId, type: 'next', payload: { data: { messagePosted: message } } }),
      );
      for (const socket of sockets) socket.send(frame, { binary: false });
    }
    return id;
  };

  wss.on('connection', (socket) => {
    const subscriptions = new Map<string, string>(); // operation id -> room
    socket.on('message', (data: Buffer) => {
      let msg: { type?: string; id?: string; payload?: { query?: string; variables?: Record<string, unknown> } };
      try {
        msg = JSON.parse(data.toString());
      } catch {
        socket.close(4400, 'Invalid message received');
        return;
      }
      switch (msg.type) {
        case 'connection_init':
          socket.send('{"type":"connection_ack"}');
          return;
        case 'ping':
          socket.send('{"type":"pong"}');
          return;
        case 'subscribe': {
          const id = String(msg.id);
          const vars = msg.payload?.variables ?? {};
          const room = String(vars.room);
          if (msg.payload?.query?.trimStart().startsWith('mutation')) {
            const postId = broadcast(room, String(vars.text));
            socket.send(JSON.stringify({ id, type: 'next', payload: { data: { postMessage: { id: postId } } } }));
            socket.send(JSON.stringify({ id, type: 'complete' }));
          } else {
            subscriptions.set(id, room);
            join(room, { socket, id });
          }
          return;
        }
        case 'complete': {
          const id = String(msg.id);
          const room = subscriptions.get(id);
          if (room !== undefined) leave(room, { socket, id });
          subscriptions.delete(id);
          return;
        }
        default:
          return;
      }
    });
    socket.on('close', () => {
      for (const [id, room] of subscriptions) leave(room, { socket, id });
    });
  });

  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
