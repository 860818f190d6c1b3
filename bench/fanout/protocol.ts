/**
 * What the load generator, the servers and the orchestrator of the fan-out benchmark agree on: the
 * GraphQL operations, how a message carries its send time, and the IPC messages between processes.
 */

/** The one room every subscriber joins. */
export const ROOM = 'bench';

/**
 * Every subscriber uses the same operation id, as a real client's first subscription would: it lets the
 * raw ws floor send one pre-serialized frame to all sockets, which is what it is meant to measure.
 */
export const SUBSCRIPTION_ID = '1';

/** Fields selected on Message: the ones every server under test returns. */
export const MESSAGE_SELECTION = 'id room text';

export const SUBSCRIPTION_QUERY = `subscription Bench($room: String!) { messagePosted(room: $room) { ${MESSAGE_SELECTION} } }`;

export const POST_MUTATION = `mutation Post($room: String!, $text: String!) { postMessage(room: $room, text: $text) { id } }`;

/**
 * Message texts. A burst message is `b|<seq>|<sentAtMs>`, sentAtMs being the publisher's
 * performance.now(): publisher and subscribers live in the load generator, so one clock serves both.
 * A readiness probe is `p|<seq>` and is not measured.
 */
export const BURST_PREFIX = 'b|';
export const PROBE_PREFIX = 'p|';

/** Heap and RSS of a server process, in bytes. */
export interface MemorySnapshot {
  readonly heapUsed: number;
  readonly rss: number;
  readonly external: number;
}

/**
 * The servers under test (see bench/fanout/servers/), in table order. (a) is the floor every ratio divides
 * by, (b) the common peer, (c) and (d) our service with in-memory and Redis pub/sub; (a2) and (c0) split our
 * lead over (a) into its parts: (a2) is the floor with the same write batching as our service, (c0) our
 * service with subscription de-duplication turned off. (c) and (d) keep a per-topic history for resumable
 * subscriptions (the service's default); (cH0) and (dH0) are the same with HISTORY_MAX_EVENTS=0, to price it.
 */
export const SERVER_KINDS = [
  'raw',
  'raw-batched',
  'peer',
  'ours-per-connection',
  'ours',
  'ours-history-off',
  'ours-redis',
  'ours-redis-history-off',
] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export const SERVER_LABELS: Record<ServerKind, string> = {
  raw: '(a) raw ws',
  'raw-batched': '(a2) raw ws, batched writes',
  peer: '(b) graphql-ws + graphql-js',
  'ours-per-connection': '(c0) our service, per-connection execution',
  ours: '(c) our service, in-memory',
  'ours-history-off': '(cH0) our service, in-memory, history off',
  'ours-redis': '(d) our service, Redis',
  'ours-redis-history-off': '(dH0) our service, Redis, history off',
};

/** The servers that need a Redis. */
export const REDIS_KINDS: readonly ServerKind[] = ['ours-redis', 'ours-redis-history-off'];

/** Short labels for the plot's legend and the comparison table. */
export const SERVER_SHORT: Record<ServerKind, string> = {
  raw: '(a)',
  'raw-batched': '(a2)',
  peer: '(b)',
  'ours-per-connection': '(c0)',
  ours: '(c)',
  'ours-history-off': '(cH0)',
  'ours-redis': '(d)',
  'ours-redis-history-off': '(dH0)',
};

// ---- IPC: orchestrator <-> server process ----

export type ToServer =
  | { readonly type: 'memory' }
  | { readonly type: 'cpu' }
  /** Asks for the server's monotonic clock, to cut its CPU profile into phases. */
  | { readonly type: 'clock' }
  /** Drain as on SIGTERM (our service only): close every socket with 1012 over the drain window. */
  | { readonly type: 'drain' }
  | { readonly type: 'stop' };

export type FromServer =
  | { readonly type: 'listening'; readonly url: string; readonly baseline: MemorySnapshot }
  | { readonly type: 'memory'; readonly snapshot: MemorySnapshot; readonly info: Readonly<Record<string, number>> }
  /** process.cpuUsage() user + system and the monotonic clock, both in microseconds. */
  | { readonly type: 'cpu'; readonly cpuMicros: number; readonly wallMicros: number }
  /** process.hrtime in microseconds: the clock of V8's CPU profile timestamps. */
  | { readonly type: 'clock'; readonly micros: number }
  | { readonly type: 'drained' }
  | { readonly type: 'failed'; readonly error: string };

// ---- IPC: orchestrator <-> load generator ----

export interface LoadgenConfig {
  readonly url: string;
  /** Subscribers (N). */
  readonly subscribers: number;
  /** Messages published in the burst (K). */
  readonly messages: number;
  /** WebSocket handshakes in flight at once while connecting. */
  readonly connectConcurrency: number;
  readonly connectTimeoutMs: number;
  readonly readyTimeoutMs: number;
  readonly burstTimeoutMs: number;
  /** A burst that delivers nothing for this long is over (messages were lost). */
  readonly stallMs: number;
}

export interface LoadgenReady {
  readonly type: 'ready';
  /** Time to open, init and subscribe all N sockets. */
  readonly connectMs: number;
  /** Time from the last subscribe until every socket had received a probe. */
  readonly readyMs: number;
  readonly probes: number;
}

export interface LoadgenResult {
  readonly type: 'result';
  readonly expected: number;
  readonly delivered: number;
  /** Deliveries that arrived with a sequence number not above the previous one on that socket. */
  readonly outOfOrder: number;
  /** Sockets that did not receive exactly K burst messages. */
  readonly incompleteSockets: number;
  /** First publish to last delivery. */
  readonly burstMs: number;
  readonly deliveredPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Load generator CPU time over the burst, as a share of one core (1 = one core busy throughout). */
  readonly loadgenCpuCores: number;
  readonly errors: readonly string[];
}

/**
 * `go` runs the burst and answers with the result; the sockets stay open until `close`, so that the
 * orchestrator reads the server's CPU and clock before the teardown (closing 10k sockets is work the
 * server would otherwise do inside the measured window).
 */
export type ToLoadgen =
  { readonly type: 'start'; readonly config: LoadgenConfig } | { readonly type: 'go' } | { readonly type: 'close' };

export type FromLoadgen = LoadgenReady | LoadgenResult | { readonly type: 'failed'; readonly error: string };
