/**
 * Entry of the reconnect-storm load generator. Opens `drained` subscribers on one instance and `survivors`
 * on the other (raw graphql-transport-ws frames, as the fan-out load generator), publishes numbered messages
 * on the survivor at a steady rate, and once told the drain started, reconnects every subscriber the drained
 * instance closes to the survivor after a full-jitter delay, resubscribing with its last position (history
 * on) or without (history off), as the recommended client does. A drained client is caught up when it has
 * received a message published after its resubscribe with nothing missing before it (history off: the
 * first such message; what it missed is counted as lost).
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { SUBSCRIPTION_ID, SUBSCRIPTION_QUERY, POST_MUTATION } from '../fanout/protocol';
import {
  type FromStormLoadgen,
  type StormConfig,
  type StormResult,
  STORM_PREFIX,
  STORM_ROOM,
  type ToStormLoadgen,
} from './protocol';

const PROTOCOL = 'graphql-transport-ws';
const TEXT_MARK = Buffer.from(`"text":"${STORM_PREFIX}`);
const POSITION_MARK = Buffer.from('"position":"');
const RECOVERY_MARK = Buffer.from('"recovery":');
const QUOTE = 0x22;

function send(message: FromStormLoadgen): void {
  process.send?.(message);
}

interface Subscriber {
  readonly survivor: boolean;
  socket: WebSocket | undefined;
  /** Highest sequence received, and the position it came with. */
  lastSeq: number;
  lastPosition: string | undefined;
  closedAt: number | undefined;
  closeCode: number | undefined;
  /** Highest sequence published when the resubscribe was sent: anything above is live. */
  liveAfterSeq: number | undefined;
  caughtUpAt: number | undefined;
  /** Sequences skipped, as [first, last] ranges; a post the service refused is not counted as lost. */
  readonly gaps: [number, number][];
}

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

class Storm {
  private readonly subscribers: Subscriber[] = [];
  private publisher!: WebSocket;
  private publishedSeq = 0;
  private publishTimer: NodeJS.Timeout | undefined;
  private readonly errors: string[] = [];
  private duplicated = 0;
  private outOfOrder = 0;
  private recovered = 0;
  private notRecovered = 0;
  private replayed = 0;
  /** Posts the service answered with an error (e.g. PUBSUB_UNAVAILABLE): never published, so never missed. */
  private readonly failedSeqs = new Set<number>();
  /** The survivor subscribers' deliveries: arrival time and latency, in ms. */
  private readonly survivorAt: number[] = [];
  private readonly survivorLatency: number[] = [];
  private stormStart = 0;
  private reconnectFailures = 0;
  private closed = false;
  private baselineStart = 0;

  constructor(private readonly config: StormConfig) {}

  private error(message: string): void {
    if (this.errors.length < 20) this.errors.push(message);
  }

  private open(url: string): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, PROTOCOL, {
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

  private subscribe(s: Subscriber, socket: WebSocket, resumeFrom: string | undefined): void {
    s.socket = socket;
    socket.on('message', (data: Buffer) => this.onFrame(s, data));
    socket.on('error', (error) => this.error(`subscriber socket error: ${error.message}`));
    socket.on('close', (code) => this.onClose(s, code));
    const payload = {
      query: SUBSCRIPTION_QUERY,
      variables: { room: STORM_ROOM },
      ...(resumeFrom !== undefined ? { extensions: { resumeFrom } } : {}),
    };
    socket.send(JSON.stringify({ id: SUBSCRIPTION_ID, type: 'subscribe', payload }));
  }

  private onFrame(s: Subscriber, data: Buffer): void {
    const text = data.indexOf(TEXT_MARK);
    if (text >= 0) {
      const now = performance.now();
      const start = text + TEXT_MARK.length;
      const [seqText, sentText] = data.toString('latin1', start, data.indexOf(QUOTE, start)).split('|');
      const seq = Number(seqText);
      const position = data.indexOf(POSITION_MARK);
      if (seq <= s.lastSeq) {
        if (seq === s.lastSeq) this.duplicated++;
        else this.outOfOrder++;
        return;
      }
      if (s.lastSeq > 0 && seq > s.lastSeq + 1) s.gaps.push([s.lastSeq + 1, seq - 1]);
      s.lastSeq = seq;
      if (position >= 0) {
        const p = position + POSITION_MARK.length;
        s.lastPosition = data.toString('latin1', p, data.indexOf(QUOTE, p));
      }
      if (s.survivor) {
        this.survivorAt.push(now);
        this.survivorLatency.push(now - Number(sentText));
      } else if (s.caughtUpAt === undefined && s.liveAfterSeq !== undefined && seq > s.liveAfterSeq) {
        s.caughtUpAt = now;
      }
      return;
    }
    if (data.indexOf(RECOVERY_MARK) >= 0) {
      const message = JSON.parse(data.toString()) as {
        payload?: { extensions?: { recovery?: { recovered: boolean; replayed?: number } } };
      };
      const recovery = message.payload?.extensions?.recovery;
      if (recovery?.recovered) {
        this.recovered++;
        this.replayed += recovery.replayed ?? 0;
      } else this.notRecovered++;
      return;
    }
    let message: { type?: string; payload?: unknown };
    try {
      message = JSON.parse(data.toString());
    } catch {
      this.error(`unparsable frame: ${data.toString().slice(0, 200)}`);
      return;
    }
    if (message.type === 'ping') s.socket?.send('{"type":"pong"}');
    else if (message.type !== 'pong')
      this.error(`unexpected ${message.type}: ${JSON.stringify(message.payload)?.slice(0, 300)}`);
  }

  private onClose(s: Subscriber, code: number): void {
    s.socket = undefined;
    if (s.survivor || this.stormStart === 0 || s.closedAt !== undefined) {
      this.error(`unexpected close ${code} (${s.survivor ? 'survivor' : 'drained'} subscriber)`);
      return;
    }
    s.closedAt = performance.now();
    s.closeCode = code;
    setTimeout(() => void this.reconnect(s), Math.random() * this.config.backoffBaseMs);
  }

  /** Retries as the recommended client does: full jitter under base * 2^retries, capped at 30 s. */
  private async reconnect(s: Subscriber, retries = 0): Promise<void> {
    if (this.closed) return;
    try {
      const socket = await this.open(this.config.survivorUrl);
      s.liveAfterSeq = this.publishedSeq;
      this.subscribe(s, socket, this.config.resume ? s.lastPosition : undefined);
    } catch (error) {
      this.reconnectFailures++;
      this.error(`reconnect failed (retrying): ${error instanceof Error ? error.message : String(error)}`);
      const ceiling = Math.min(30_000, this.config.backoffBaseMs * 2 ** (retries + 1));
      setTimeout(() => void this.reconnect(s, retries + 1), Math.random() * ceiling);
    }
  }

  async connect(): Promise<number> {
    const started = performance.now();
    const { drained, survivors, connectConcurrency } = this.config;
    const targets = [...Array.from({ length: drained }, () => false), ...Array.from({ length: survivors }, () => true)];
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const survivor = targets[next++];
        const s: Subscriber = {
          survivor,
          socket: undefined,
          lastSeq: 0,
          lastPosition: undefined,
          closedAt: undefined,
          closeCode: undefined,
          liveAfterSeq: undefined,
          caughtUpAt: undefined,
          gaps: [],
        };
        this.subscribers.push(s);
        this.subscribe(s, await this.open(survivor ? this.config.survivorUrl : this.config.drainedUrl), undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.min(connectConcurrency, targets.length) }, worker));
    this.publisher = await this.open(this.config.survivorUrl);
    this.publisher.on('error', (error) => this.error(`publisher socket error: ${error.message}`));
    this.publisher.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.includes('"type":"error"') || text.includes('"errors"')) {
        const seq = /"id":"post-(\d+)"/.exec(text);
        if (seq) this.failedSeqs.add(Number(seq[1]));
        this.error(`publish failed: ${text.slice(0, 300)}`);
      }
    });
    // A steady publisher on a fixed clock; every subscriber must have received one before the storm.
    const every = 1000 / this.config.postsPerSecond;
    const t0 = performance.now();
    const tick = () => {
      const seq = ++this.publishedSeq;
      this.publisher.send(
        JSON.stringify({
          id: `post-${seq}`,
          type: 'subscribe',
          payload: {
            query: POST_MUTATION,
            variables: { room: STORM_ROOM, text: `${STORM_PREFIX}${seq}|${performance.now()}` },
          },
        }),
      );
      this.publishTimer = setTimeout(tick, Math.max(0, t0 + (seq + 1) * every - performance.now()));
    };
    tick();
    await this.until(
      () => this.subscribers.every((s) => s.lastSeq > 0),
      this.config.connectTimeoutMs,
      'every subscriber receiving',
    );
    this.baselineStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, this.config.baselineMs));
    return performance.now() - started;
  }

  private until(done: () => boolean, timeoutMs: number, what: string): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        if (done()) {
          clearInterval(timer);
          resolve(true);
        } else if (performance.now() > deadline) {
          clearInterval(timer);
          this.error(`timed out after ${timeoutMs} ms waiting for ${what}`);
          resolve(false);
        }
      }, 20);
    });
  }

  async storm(): Promise<StormResult> {
    this.stormStart = performance.now();
    const drained = this.subscribers.filter((s) => !s.survivor);
    await this.until(
      () => drained.every((s) => s.caughtUpAt !== undefined),
      this.config.stormTimeoutMs,
      'every drained subscriber caught up',
    );
    // Over the subscribers that did catch up; `caughtUp` says whether that is all of them.
    const lastCaughtUp = Math.max(...drained.flatMap((s) => (s.caughtUpAt === undefined ? [] : [s.caughtUpAt])));
    // A little more live traffic, then stop publishing and let the last deliveries land.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    clearTimeout(this.publishTimer);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const survivorWindow = (from: number, to: number) => {
      const latencies = this.survivorLatency.filter((_, i) => this.survivorAt[i] >= from && this.survivorAt[i] <= to);
      return {
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        deliveries: latencies.length,
      };
    };
    const lost = (subscribers: Subscriber[]) => {
      let n = 0;
      for (const s of subscribers)
        for (const [first, last] of s.gaps) for (let q = first; q <= last; q++) if (!this.failedSeqs.has(q)) n++;
      return n;
    };
    const caughtUp = drained.filter((s) => s.caughtUpAt !== undefined);
    const closeToCaughtUp = caughtUp.map((s) => s.caughtUpAt! - s.closedAt!);
    return {
      type: 'result',
      drained: drained.length,
      survivors: this.subscribers.length - drained.length,
      resume: this.config.resume,
      postsPerSecond: this.config.postsPerSecond,
      closedBy1012: drained.filter((s) => s.closeCode === 1012).length,
      caughtUp: caughtUp.length,
      lastCaughtUpMs: lastCaughtUp - this.stormStart,
      closeToCaughtUpMs: {
        p50: percentile(closeToCaughtUp, 50),
        p99: percentile(closeToCaughtUp, 99),
        max: Math.max(...closeToCaughtUp),
      },
      lost: lost(drained),
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
      recovered: this.recovered,
      notRecovered: this.notRecovered,
      replayed: this.replayed,
      survivorBaseline: survivorWindow(this.baselineStart, this.stormStart),
      survivorStorm: survivorWindow(this.stormStart, Number.isFinite(lastCaughtUp) ? lastCaughtUp : performance.now()),
      survivorLost: lost(this.subscribers.filter((s) => s.survivor)),
      published: this.publishedSeq - this.failedSeqs.size,
      publishFailed: this.failedSeqs.size,
      reconnectFailures: this.reconnectFailures,
      errors: this.errors,
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.publishTimer);
    for (const { socket } of this.subscribers) {
      socket?.removeAllListeners('close');
      socket?.on('error', () => undefined);
      socket?.terminate();
    }
    this.publisher?.terminate();
  }
}

let storm: Storm | undefined;

process.on('message', (message: ToStormLoadgen) => {
  void (async () => {
    if (message.type === 'start') {
      storm = new Storm(message.config);
      send({ type: 'ready', connectMs: await storm.connect() });
    } else if (message.type === 'storm') {
      if (!storm) throw new Error('storm before start');
      send(await storm.storm());
    } else if (message.type === 'close') {
      storm?.close();
      setTimeout(() => process.exit(0), 100);
    }
  })().catch((error: unknown) => {
    storm?.close();
    send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
    setTimeout(() => process.exit(1), 100);
  });
});

// Never outlive the orchestrator.
process.on('disconnect', () => process.exit(0));
