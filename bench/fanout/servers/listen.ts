import type { AddressInfo } from 'node:net';
import type { WebSocketServer } from 'ws';

/** Waits until a loopback WebSocketServer listens and returns its ws:// URL of the GraphQL path. */
export async function listeningUrl(wss: WebSocketServer): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { port } = wss.address() as AddressInfo;
  return `ws://127.0.0.1:${port}/graphql`;
}
