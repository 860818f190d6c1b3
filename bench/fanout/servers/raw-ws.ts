/**
 * (a) The floor: plain `ws` speaking just enough graphql-transport-ws for the load generator. A post is
 * serialized once into a `next` frame and that one buffer is sent to every socket in the room: no
 * GraphQL execution, no per-subscriber work beyond the socket write.
 *
 * (a2) The same floor with the write batching our service does (service/src/transport/ws/connection.ts):
 * a socket is corked before the first frame of an event-loop turn and uncorked in the next check phase
 * (setImmediate), or at once past 16 KB held, so a burst of posts leaves in one write per socket.
 */
import type { Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { listeningUrl } from './listen';
import type { BenchServer } from './types';

/** The service's CORK_FLUSH_BYTES (its other bound, a quarter of the slow-consumer mark, is larger here). */
const CORK_FLUSH_BYTES = 16 * 1024;
const TEXT_FRAME = { binary: false } as const;

/** One subscribed socket; `corked` is per socket, as in the service, not a set lookup per frame. */
interface Peer {
  readonly socket: WebSocket;
  corked: boolean;
}

interface Subscriber {
  readonly peer: Peer;
  readonly id: string;
}

export interface RawWsOptions {
  /** Cork each socket for the turn, as our service does (a2). */
  readonly batched: boolean;
}

/** ws keeps its net.Socket private (the service reaches it the same way); null once the socket is gone. */
const socketOf = (ws: WebSocket) => (ws as unknown as { _socket: Socket | null })._socket;

/** Sends with a per-turn cork: the frames of one turn leave together when the check phase uncorks them. */
class TurnBatcher {
  private corked: Peer[] = [];

  send(peer: Peer, frame: Buffer): void {
    if (!peer.corked) {
      const socket = socketOf(peer.socket);
      if (socket === null) return;
      socket.cork();
      peer.corked = true;
      if (this.corked.push(peer) === 1) setImmediate(this.uncorkAll);
    }
    peer.socket.send(frame, TEXT_FRAME);
    if (peer.socket.bufferedAmount >= CORK_FLUSH_BYTES) uncork(peer);
  }

  private readonly uncorkAll = (): void => {
    const list = this.corked;
    this.corked = [];
    for (const peer of list) uncork(peer);
  };
}

function uncork(peer: Peer): void {
  if (!peer.corked) return;
  peer.corked = false;
  socketOf(peer.socket)?.uncork();
}

export async function startRawWs(options: RawWsOptions = { batched: false }): Promise<BenchServer> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    clientTracking: true,
    handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false),
  });
  // room -> operation id -> peers: one pre-serialized frame per (room, id).
  const rooms = new Map<string, Map<string, Set<Peer>>>();
  let nextMessageId = 0;
  const batcher = options.batched ? new TurnBatcher() : undefined;

  const join = (room: string, sub: Subscriber) => {
    let byId = rooms.get(room);
    if (!byId) rooms.set(room, (byId = new Map()));
    let peers = byId.get(sub.id);
    if (!peers) byId.set(sub.id, (peers = new Set()));
    peers.add(sub.peer);
  };
  const leave = (room: string, sub: Subscriber) => rooms.get(room)?.get(sub.id)?.delete(sub.peer);

  const broadcast = (room: string, text: string): string => {
    const id = String(++nextMessageId);
    const message = { id, room, text };
    for (const [opId, peers] of rooms.get(room) ?? []) {
      const frame = Buffer.from(
        JSON.stringify({ id: opId, type: 'next', payload: { data: { messagePosted: message } } }),
      );
      if (batcher) for (const peer of peers) batcher.send(peer, frame);
      else for (const peer of peers) peer.socket.send(frame, TEXT_FRAME);
    }
    return id;
  };

  wss.on('connection', (socket) => {
    const peer: Peer = { socket, corked: false };
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
            join(room, { peer, id });
          }
          return;
        }
        case 'complete': {
          const id = String(msg.id);
          const room = subscriptions.get(id);
          if (room !== undefined) leave(room, { peer, id });
          subscriptions.delete(id);
          return;
        }
        default:
          return;
      }
    });
    socket.on('close', () => {
      for (const [id, room] of subscriptions) leave(room, { peer, id });
    });
  });

  const url = await listeningUrl(wss);
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
