/**
 * A raw graphql-transport-ws socket driven from a separate Node process, as a real (hostile) client is:
 * its frames reach the service in TCP segments of their own while the service's event loop interleaves
 * its asynchronous work, which an in-process client (writing every frame before the server reads one)
 * never produces. The child speaks JSON lines: commands in on stdin, socket events out on stdout.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './service-process';
import { waitFor } from './wait';

/** The child: `ws` from the repository, one `ws.send` (one write) per frame. */
const CHILD = `
const WebSocket = require('ws');
const out = (event) => process.stdout.write(JSON.stringify(event) + '\\n');
const ws = new WebSocket(process.env.REMOTE_SOCKET_URL, ['graphql-transport-ws']);
ws.on('open', () => out({ type: 'open' }));
ws.on('message', (data) => out({ type: 'message', message: JSON.parse(String(data)) }));
ws.on('close', (code, reason) => { out({ type: 'close', code, reason: String(reason) }); process.exit(0); });
ws.on('error', (err) => out({ type: 'error', message: err.message }));
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line);
  if (command.close) return ws.close();
  for (let i = 0; i < command.times; i++) for (const frame of command.frames) ws.send(JSON.stringify(frame));
  out({ type: 'sent' });
});
process.stdin.on('end', () => ws.terminate());
`;

type Event =
  | { type: 'open' }
  | { type: 'sent' }
  | { type: 'message'; message: Record<string, unknown> }
  | { type: 'close'; code: number; reason: string }
  | { type: 'error'; message: string };

export interface RemoteSocket {
  /** Messages received from the service, in order. */
  readonly messages: Array<Record<string, unknown>>;
  /** Resolves with the close code and reason the child saw. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Sends `frames`, `times` over, one write per frame; resolves once the child has written them all. */
  send(frames: readonly unknown[], times?: number): Promise<void>;
  waitForMessage(predicate: (message: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<unknown>;
  close(): Promise<{ code: number; reason: string }>;
}

/** Opens the socket in a child process and completes connection_init/ack. */
export async function remoteSocket(url: string): Promise<RemoteSocket> {
  const child = spawn(process.execPath, ['-e', CHILD], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', REMOTE_SOCKET_URL: url },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const messages: Array<Record<string, unknown>> = [];
  let sent = 0;
  let opened = false;
  let closedWith: (value: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (closedWith = resolve));
  child.on('exit', () => closedWith({ code: -1, reason: 'client process exited' }));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line) as Event;
    if (event.type === 'open') opened = true;
    else if (event.type === 'sent') sent++;
    else if (event.type === 'message') messages.push(event.message);
    else if (event.type === 'close') closedWith({ code: event.code, reason: event.reason });
  });
  const command = (value: unknown) => child.stdin.write(JSON.stringify(value) + '\n');
  const waitForMessage = (predicate: (message: Record<string, unknown>) => boolean, timeoutMs = 5_000) =>
    waitFor(
      `a matching message (have ${JSON.stringify(messages).slice(-300)})`,
      () => messages.find(predicate),
      timeoutMs,
    );

  await waitFor('the remote socket to open', () => opened);
  command({ frames: [{ type: 'connection_init' }], times: 1 });
  await waitForMessage((m) => m.type === 'connection_ack');
  return {
    messages,
    closed,
    async send(frames, times = 1) {
      const before = sent;
      command({ frames, times });
      await waitFor('the remote client to send its frames', () => sent > before, 10_000);
    },
    waitForMessage,
    close() {
      command({ close: true });
      child.stdin.end();
      return closed;
    },
  };
}
