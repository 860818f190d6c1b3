/**
 * Small client wrappers over the real libraries: graphql-ws's `createClient` (recording close codes),
 * graphql-sse's client, a raw `ws` socket for sending hand-made (bad) frames, and HTTP helpers.
 */
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { createClient, type Client, type ClientOptions, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import type { RecoveryOutcome } from '../client/recommended-client';
import { sleep, waitFor } from './wait';

export const GRAPHQL_TRANSPORT_WS = 'graphql-transport-ws';

export interface MessageFields {
  readonly id: string;
  readonly room: string;
  readonly text: string;
  readonly sentAt: string;
}

export const MESSAGE_POSTED = /* GraphQL */ `
  subscription ($room: String!) {
    messagePosted(room: $room) {
      id
      room
      text
      sentAt
    }
  }
`;

// ---------------------------------------------------------------------------------------------- graphql-ws

export interface RecordedWsClient {
  readonly client: Client;
  /** Close codes of every socket this client had, in order. */
  readonly closeCodes: number[];
  /** Times a socket was acknowledged (1 + reconnects). */
  readonly connected: () => number;
  dispose(): Promise<void>;
}

/** graphql-ws `createClient` on the `ws` package, recording close codes. No retries unless asked. */
export function wsClient(url: ClientOptions['url'], options: Partial<ClientOptions> = {}): RecordedWsClient {
  const closeCodes: number[] = [];
  let connected = 0;
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    ...options,
    on: {
      ...options.on,
      closed: (event) => {
        closeCodes.push((event as { code: number }).code);
        options.on?.closed?.(event);
      },
      connected: (...args) => {
        connected++;
        options.on?.connected?.(...args);
      },
    },
  });
  return {
    client,
    closeCodes,
    connected: () => connected,
    dispose: async () => {
      await client.dispose();
    },
  };
}

/** A `messagePosted` result as resumable subscriptions send it: a position on each event, a recovery result. */
export type PositionedResult = ExecutionResult<
  { messagePosted: { text: string } },
  { position?: string; recovery?: RecoveryOutcome }
>;

export interface RecordedRoom {
  readonly results: PositionedResult[];
  readonly errors: unknown[];
  readonly client: RecordedWsClient;
}

/**
 * `messagePosted(room)` on a new graphql-ws client (see wsClient), recording every result and error.
 * `extensions` go into the request (`resumeFrom`, or any other to make it run per connection).
 */
export function recordRoom(
  url: ClientOptions['url'],
  room: string,
  options: { extensions?: Record<string, unknown> | undefined; lazy?: boolean | undefined } = {},
): RecordedRoom {
  const client = wsClient(url, options.lazy !== undefined ? { lazy: options.lazy } : {});
  const results: PositionedResult[] = [];
  const errors: unknown[] = [];
  const extensions = options.extensions !== undefined ? { extensions: options.extensions } : {};
  client.client.subscribe<PositionedResult['data'], PositionedResult['extensions']>(
    { query: MESSAGE_POSTED, variables: { room }, ...extensions },
    { next: (r) => results.push(r as PositionedResult), error: (e) => errors.push(e), complete: () => undefined },
  );
  return { results, errors, client };
}

/** The texts of the messages among recorded results (recovery results carry none). */
export function postedTexts(results: readonly PositionedResult[]): string[] {
  return results.flatMap((r) => (r.data ? [r.data.messagePosted.text] : []));
}

export interface Subscription<T = MessageFields> {
  readonly received: T[];
  readonly errors: unknown[];
  readonly completed: () => boolean;
  /** Waits until at least `count` events arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<T[]>;
  unsubscribe(): void;
}

/** Subscribes to `messagePosted(room)` on a graphql-ws or graphql-sse client, collecting the messages. */
export function subscribeRoom(client: Client | SseClient, room: string): Subscription {
  const received: MessageFields[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const unsubscribe = (client as Client).subscribe<{ messagePosted: MessageFields }>(
    { query: MESSAGE_POSTED, variables: { room } },
    {
      next: (result) => {
        if (result.data?.messagePosted) received.push(result.data.messagePosted);
        if (result.errors) errors.push(...result.errors);
      },
      error: (err) => errors.push(err),
      complete: () => {
        completed = true;
      },
    },
  );
  return {
    received,
    errors,
    completed: () => completed,
    waitForCount: (count, timeoutMs = 5_000) =>
      waitFor(
        `${count} message(s) in room ${room} (have ${received.length})`,
        () => (received.length >= count ? received : undefined),
        timeoutMs,
      ),
    unsubscribe,
  };
}

/** Subscribes and waits until the server has registered the subscription (a probe message arrives). */
export async function subscribeRoomReady(
  client: Client | SseClient,
  room: string,
  post: (text: string) => Promise<unknown>,
  timeoutMs = 5_000,
): Promise<Subscription> {
  const subscription = subscribeRoom(client, room);
  const deadline = Date.now() + timeoutMs;
  // A subscription is live once an event published after it reaches it; probe until one does.
  while (subscription.received.length === 0) {
    if (Date.now() > deadline)
      throw new Error(`subscription to ${room} never became live; errors: ${JSON.stringify(subscription.errors)}`);
    await post(`probe-${Date.now()}`);
    await sleep(50);
  }
  return subscription;
}

// ---------------------------------------------------------------------------------------------- graphql-sse

export function sseClient(
  url: string,
  options: { retryAttempts?: number; headers?: Record<string, string> } = {},
): SseClient {
  return createSseClient({
    url,
    singleConnection: false,
    retryAttempts: options.retryAttempts ?? 0,
    ...(options.headers ? { headers: options.headers } : {}),
  });
}

// ---------------------------------------------------------------------------------------------- raw WebSocket

export interface RawSocket {
  readonly ws: WebSocket;
  /** Parsed JSON messages received so far. */
  readonly messages: Array<Record<string, unknown>>;
  /** Resolves when the handshake succeeded. */
  readonly opened: Promise<void>;
  /** Resolves with the close code and reason (also for a refused handshake: code 1006). */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the HTTP status when the server refused the upgrade. */
  readonly refusedStatus: Promise<number | undefined>;
  send(frame: unknown): void;
  /** Waits for a received message matching `predicate`. */
  waitForMessage(
    predicate: (message: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  close(): void;
}

export interface RawSocketOptions {
  /** Subprotocols offered (default graphql-transport-ws; [] offers none). */
  readonly protocols?: string[];
  readonly headers?: Record<string, string>;
  /** false: do not answer pings (a dead peer, for keepalive tests). */
  readonly autoPong?: boolean;
}

/** A `ws` socket speaking whatever the test sends: for bad frames and refused handshakes. */
export function rawSocket(url: string, options: RawSocketOptions = {}): RawSocket {
  const ws = new WebSocket(url, options.protocols ?? [GRAPHQL_TRANSPORT_WS], {
    headers: options.headers ?? {},
    autoPong: options.autoPong ?? true,
  });
  const messages: Array<Record<string, unknown>> = [];
  let refused: (status: number | undefined) => void = () => undefined;
  const refusedStatus = new Promise<number | undefined>((resolve) => (refused = resolve));
  ws.on('message', (data) => {
    try {
      messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    } catch {
      messages.push({ unparsed: String(data) });
    }
  });
  ws.on('unexpected-response', (_req, res) => {
    refused(res.statusCode);
    res.resume();
    ws.terminate();
  });
  ws.on('error', () => undefined);
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => reject(new Error('closed before open')));
  });
  opened.catch(() => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code, reason) => {
      refused(undefined);
      resolve({ code, reason: reason.toString() });
    });
  });
  return {
    ws,
    messages,
    opened,
    closed,
    refusedStatus,
    send: (frame) => ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame)),
    waitForMessage: (predicate, timeoutMs = 5_000) =>
      waitFor(
        `a matching message (have ${JSON.stringify(messages).slice(0, 300)})`,
        () => messages.find(predicate),
        timeoutMs,
      ),
    close: () => ws.close(),
  };
}

/** A raw socket that completed connection_init/ack. */
export async function initializedSocket(url: string, payload?: Record<string, unknown>): Promise<RawSocket> {
  const socket = rawSocket(url);
  await socket.opened;
  socket.send({ type: 'connection_init', ...(payload ? { payload } : {}) });
  await socket.waitForMessage((m) => m.type === 'connection_ack');
  return socket;
}

// ---------------------------------------------------------------------------------------------- HTTP

export interface GraphQLResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { data?: T | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

export async function graphqlPost<T = Record<string, unknown>>(
  graphqlUrl: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
  });
  const text = await response.text();
  let body: GraphQLResponse<T>['body'];
  try {
    body = JSON.parse(text) as GraphQLResponse<T>['body'];
  } catch {
    body = { errors: [{ message: `non-JSON response: ${text.slice(0, 200)}` }] };
  }
  return { status: response.status, headers: response.headers, body };
}

export const POST_MESSAGE = /* GraphQL */ `
  mutation ($room: String!, $text: String!) {
    postMessage(room: $room, text: $text) {
      id
      room
      text
      sentAt
    }
  }
`;

/** Posts a chat message over HTTP; returns the GraphQL response. */
export function postMessage(graphqlUrl: string, room: string, text: string, headers: Record<string, string> = {}) {
  return graphqlPost<{ postMessage: MessageFields }>(graphqlUrl, POST_MESSAGE, { room, text }, headers);
}
