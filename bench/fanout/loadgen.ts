/**
 * Entry of the load-generator process. Opens N WebSocket clients speaking graphql-transport-ws with
 * raw `ws` frames (no GraphQL client library, so the generator spends as little as possible per
 * frame), subscribes them all to one room, probes until every socket has received an event, then on
 * `go` publishes K messages back to back, each carrying its send time, and measures delivery.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { percentileInPlace } from '../lib/stats';
import {
  BURST_PREFIX,
  type FromLoadgen,
  type LoadgenConfig,
  type LoadgenResult,
  POST_MUTATION,
  PROBE_PREFIX,
  ROOM,
  SUBSCRIPTION_ID,
  SUBSCRIPTION_QUERY,
  type ToLoadgen,
} from './protocol';

const PROTOCOL = 'graphql-transport-ws';
// Looked for in raw frames: a burst or probe message's text field.
const BURST_MARK = Buffer.from(`"text":"${BURST_PREFIX}`);
const PROBE_MARK = Buffer.from(`"text":"${PROBE_PREFIX}`);
const QUOTE = 0x22;

const SUBSCRIBE_FRAME = JSON.stringify({
  id: SUBSCRIPTION_ID,
  type: 'subscribe',
  payload: { query: SUBSCRIPTION_QUERY, variables: { room: ROOM } },
});

function send(message: FromLoadgen): void {
  process.send?.(message);
}

interface Client {
  readonly socket: WebSocket;
  /** Highest probe sequence seen. */
  probe: number;
  /** Burst messages received and the last burst sequence number. */
  received: number;
  lastSeq: number;
}

class Run {
  private readonly clients: Client[] = [];
  private publisher!: WebSocket;
  private nextPublishId = 0;
  private probeSeq = 0;
  private probedCount = 0;
  private lastProbeAt = 0;
  private onProgress: () => void = () => undefined;
  readonly errors: string[] = [];

  // Burst measurement state.
  private readonly latencies: Float64Array;
  private delivered = 0;
  private outOfOrder = 0;
  private lastDeliveryAt = 0;

  constructor(private readonly config: LoadgenConfig) {
    this.latencies = new Float64Array(config.subscribers * config.messages);
  }

  private error(message: string): void {
    if (this.errors.length < 20) this.errors.push(message);
  }

  /** Opens a socket and completes connection_init / connection_ack. */
  private open(): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.config.url, PROTOCOL, {
        perMessageDeflate: false,
        skipUTF8Validation: true,
        handshakeTimeout: this.config.connectTimeoutMs,
      });
      const fail = (why: string) => {
        socket.terminate();
        reject(new Error(why));
      };
      socket.once('open', () => socket.send('{"type":"connection_init","payload":{}}'));
      socket.once('error', (error) => fail(`socket error before ack: ${error.message}`));
      socket.once('close', (code, reason) => fail(`socket closed before ack: ${code} ${reason.toString()}`));
      socket.once('message', (data: Buffer) => {
        socket.removeAllListeners('error').removeAllListeners('close');
        if (!data.toString().includes('"connection_ack"')) return fail(`expected connection_ack, got ${data}`);
        resolve(socket);
      });
    });
  }

  private onFrame(client: Client, data: Buffer): void {
    const burst = data.indexOf(BURST_MARK);
    if (burst >= 0) {
      const now = performance.now();
      const start = burst + BURST_MARK.length;
      const end = data.indexOf(QUOTE, start);
      const [seqText, sentText] = data.toString('latin1', start, end).split('|');
      const seq = Number(seqText);
      if (seq <= client.lastSeq) this.outOfOrder++;
      client.lastSeq = seq;
      client.received++;
      if (this.delivered < this.latencies.length) this.latencies[this.delivered] = now - Number(sentText);
      this.delivered++;
      this.lastDeliveryAt = now;
      if (this.delivered === this.latencies.length) this.onProgress();
      return;
    }
    const probe = data.indexOf(PROBE_MARK);
    if (probe >= 0) {
      const start = probe + PROBE_MARK.length;
      const seq = Number(data.toString('latin1', start, data.indexOf(QUOTE, start)));
      if (client.probe === 0) {
        this.probedCount++;
        if (this.probedCount === this.clients.length) this.onProgress();
      }
      client.probe = Math.max(client.probe, seq);
      this.lastProbeAt = performance.now();
      return;
    }
    // Anything else is rare (ping, error, complete): parse it properly.
    let message: { type?: string; payload?: unknown };
    try {
      message = JSON.parse(data.toString());
    } catch {
      this.error(`unparsable frame: ${data.toString().slice(0, 200)}`);
      return;
    }
    if (message.type === 'ping') client.socket.send('{"type":"pong"}');
    else if (message.type !== 'pong')
      this.error(`unexpected ${message.type}: ${JSON.stringify(message.payload)?.slice(0, 300)}`);
  }

  async connect(): Promise<number> {
    const started = performance.now();
    const { subscribers, connectConcurrency } = this.config;
    let opened = 0;
    const worker = async () => {
      while (opened < subscribers) {
        opened++;
        const socket = await this.open();
        const client: Client = { socket, probe: 0, received: 0, lastSeq: 0 };
        this.clients.push(client);
        socket.on('message', (data: Buffer) => this.onFrame(client, data));
        socket.on('error', (error) => this.error(`subscriber socket error: ${error.message}`));
        socket.on('close', (code, reason) => this.error(`subscriber closed: ${code} ${reason.toString()}`));
        socket.send(SUBSCRIBE_FRAME);
      }
    };
    await withTimeout(
      Promise.all(Array.from({ length: Math.min(connectConcurrency, subscribers) }, worker)),
      this.config.connectTimeoutMs,
      () => `only ${this.clients.length} of ${subscribers} sockets subscribed`,
    );
    this.publisher = await this.open();
    this.publisher.on('error', (error) => this.error(`publisher socket error: ${error.message}`));
    this.publisher.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.includes('"type":"error"')) this.error(`publish failed: ${text.slice(0, 300)}`);
    });
    return performance.now() - started;
  }

  private publish(text: string): void {
    const id = `post-${++this.nextPublishId}`;
    this.publisher.send(
      JSON.stringify({ id, type: 'subscribe', payload: { query: POST_MUTATION, variables: { room: ROOM, text } } }),
    );
  }

  /**
   * A subscribe frame has no acknowledgement in graphql-transport-ws, so readiness is observed: probe
   * messages are published until every socket has received one. The next probe goes out once the
   * previous one has stopped arriving, so a slow server is not flooded.
   */
  async waitReady(): Promise<{ readyMs: number; probes: number }> {
    const started = performance.now();
    const deadline = started + this.config.readyTimeoutMs;
    while (this.probedCount < this.clients.length) {
      if (this.errors.length > 0) throw new Error(`while waiting for readiness: ${this.errors.join('; ')}`);
      if (performance.now() > deadline) {
        throw new Error(
          `only ${this.probedCount} of ${this.clients.length} sockets received a probe within ${this.config.readyTimeoutMs} ms`,
        );
      }
      const seq = ++this.probeSeq;
      this.publish(`${PROBE_PREFIX}${seq}`);
      await this.until(
        () => this.probedCount === this.clients.length,
        200,
        deadline,
        () => this.lastProbeAt,
      );
    }
    // Let the last probes drain so the burst starts on a quiet server.
    await this.until(
      () => false,
      300,
      deadline + 5_000,
      () => this.lastProbeAt,
    );
    return { readyMs: performance.now() - started, probes: this.probeSeq };
  }

  /**
   * Resolves when `done()` holds, when nothing has arrived for `quietMs` (by `lastActivity()`), or at
   * `deadline`, whichever comes first.
   */
  private until(done: () => boolean, quietMs: number, deadline: number, lastActivity: () => number): Promise<void> {
    const since = performance.now();
    return new Promise((resolve) => {
      const finish = () => {
        clearInterval(timer);
        this.onProgress = () => undefined;
        resolve();
      };
      this.onProgress = () => {
        if (done()) finish();
      };
      const timer = setInterval(
        () => {
          const now = performance.now();
          if (done() || now - Math.max(since, lastActivity()) > quietMs || now > deadline) finish();
        },
        Math.min(50, quietMs),
      );
    });
  }

  async burst(): Promise<LoadgenResult> {
    const { subscribers, messages, burstTimeoutMs, stallMs } = this.config;
    const expected = subscribers * messages;
    const cpuBefore = process.cpuUsage();
    const firstSentAt = performance.now();
    for (let seq = 1; seq <= messages; seq++) this.publish(`${BURST_PREFIX}${seq}|${performance.now()}`);
    await this.until(
      () => this.delivered >= expected,
      stallMs,
      firstSentAt + burstTimeoutMs,
      () => this.lastDeliveryAt,
    );
    const cpu = process.cpuUsage(cpuBefore);
    const burstMs = (this.delivered > 0 ? this.lastDeliveryAt : performance.now()) - firstSentAt;
    const recorded = Math.min(this.delivered, this.latencies.length);
    if (this.delivered < expected) this.error(`delivered ${this.delivered} of ${expected} within the burst`);
    return {
      type: 'result',
      expected,
      delivered: this.delivered,
      outOfOrder: this.outOfOrder,
      incompleteSockets: this.clients.filter((c) => c.received !== messages).length,
      burstMs,
      deliveredPerSecond: burstMs > 0 ? (this.delivered / burstMs) * 1000 : 0,
      p50Ms: percentileInPlace(this.latencies, recorded, 50),
      p99Ms: percentileInPlace(this.latencies, recorded, 99),
      maxMs: percentileInPlace(this.latencies, recorded, 100),
      loadgenCpuCores: (cpu.user + cpu.system) / 1000 / burstMs,
      errors: this.errors,
    };
  }

  close(): void {
    for (const { socket } of this.clients) {
      socket.removeAllListeners('close');
      socket.on('error', () => undefined);
      socket.terminate();
    }
    this.publisher?.terminate();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, why: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${why()}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

let run: Run | undefined;

process.on('message', (message: ToLoadgen) => {
  void (async () => {
    if (message.type === 'start') {
      run = new Run(message.config);
      const connectMs = await run.connect();
      const { readyMs, probes } = await run.waitReady();
      send({ type: 'ready', connectMs, readyMs, probes });
    } else if (message.type === 'go') {
      if (!run) throw new Error('go before start');
      // Sockets stay open: the orchestrator reads the server's CPU first, then sends `close`.
      send(await run.burst());
    } else if (message.type === 'close') {
      run?.close();
      setTimeout(() => process.exit(0), 100);
    }
  })().catch((error: unknown) => {
    run?.close();
    send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
    setTimeout(() => process.exit(1), 100);
  });
});

// Never outlive the orchestrator.
process.on('disconnect', () => process.exit(0));
