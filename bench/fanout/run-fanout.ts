/**
 * One fan-out measurement: a server process and a load-generator process, started fresh, for one server
 * kind and one N. Both are killed when the measurement ends, whatever happens.
 */
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { exited, forkTracked, nextMessage, sleep, stopChild } from '../lib/children';
import {
  type FromLoadgen,
  type FromServer,
  type LoadgenConfig,
  type LoadgenReady,
  type LoadgenResult,
  type MemorySnapshot,
  type ServerKind,
  type ToLoadgen,
  type ToServer,
} from './protocol';

export interface FanoutOptions {
  /** Directory holding the compiled bench (bench/tmp/dist/bench). */
  readonly benchDist: string;
  readonly redisUrl?: string;
  /** Write CPU profiles of the server and load-generator processes here (node --cpu-prof). */
  readonly cpuProfileDir?: string;
  readonly connectConcurrency: number;
}

export interface MemoryResult {
  readonly baseline: MemorySnapshot;
  readonly loaded: MemorySnapshot;
  /** (loaded - baseline) / N, in bytes. */
  readonly heapPerConnection: number;
  readonly rssPerConnection: number;
}

export interface FanoutResult {
  readonly server: ServerKind;
  readonly subscribers: number;
  readonly messages: number;
  readonly connectMs: number;
  readonly readyMs: number;
  readonly probes: number;
  readonly burst: Omit<LoadgenResult, 'type'>;
  /** The server's own counters once all N sockets were subscribed (see BenchServer.info). */
  readonly serverInfo: Readonly<Record<string, number>>;
  /** Server CPU time over the burst, as a share of one core (above 1: GC threads, kernel work for loopback). */
  readonly serverCpuCores: number;
  readonly memory: MemoryResult;
  /** Server monotonic clock (µs) around the phases, to cut a CPU profile. */
  readonly clock: {
    readonly start: number;
    readonly ready: number;
    readonly burstStart: number;
    readonly burstEnd: number;
  };
}

const SERVER_START_MS = 30_000;

/** Sends `message` and waits for the answer `accept` recognizes. */
function ask<T>(
  child: ChildProcess,
  label: string,
  message: ToServer | ToLoadgen,
  timeoutMs: number,
  accept: (m: FromServer | FromLoadgen) => T | undefined,
): Promise<T> {
  const answer = expectMessage(child, label, timeoutMs, accept);
  child.send(message);
  return answer;
}

/** Wraps nextMessage so that a `failed` message rejects instead of throwing inside the listener. */
function expectMessage<T>(
  child: ChildProcess,
  label: string,
  timeoutMs: number,
  accept: (m: FromServer | FromLoadgen) => T | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    nextMessage(child, label, timeoutMs, (m) => {
      const typed = m as FromServer | FromLoadgen;
      if (typed.type === 'failed') return { failed: typed.error } as const;
      const value = accept(typed);
      return value === undefined ? undefined : ({ value } as const);
    }).then((r) => ('failed' in r ? reject(new Error(`${label} failed: ${r.failed}`)) : resolve(r.value)), reject);
  });
}

/**
 * Fails the run when our service is not in the mode its label says: (c)/(d) with all N subscribers in one
 * shared group, (c0) with none shared.
 */
function checkMode(kind: ServerKind, n: number, info: Readonly<Record<string, number>>): void {
  const members = info.sharedMembers;
  if (kind === 'ours' || kind === 'ours-redis' || kind === 'ours-history-off' || kind === 'ours-redis-history-off') {
    if (members !== n || info.sharedGroups !== 1) {
      throw new Error(
        `${kind}: expected ${n} sockets in 1 shared subscription group, server reports ${JSON.stringify(info)}`,
      );
    }
  } else if (kind === 'ours-per-connection' && members !== 0) {
    throw new Error(
      `${kind}: expected no shared subscriptions (SHARED_SUBSCRIPTIONS=false), server reports ${JSON.stringify(info)}`,
    );
  }
}

export async function runFanout(
  kind: ServerKind,
  config: Omit<LoadgenConfig, 'url' | 'connectConcurrency'>,
  options: FanoutOptions,
): Promise<FanoutResult> {
  const { subscribers: n } = config;
  const serverLabel = `server ${kind} (N=${n})`;
  const loadgenLabel = `load generator (${kind}, N=${n})`;
  const budgetMs = SERVER_START_MS + config.connectTimeoutMs + config.readyTimeoutMs + config.burstTimeoutMs + 60_000;

  const execArgv = ['--expose-gc'];
  if (options.cpuProfileDir)
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`, `--cpu-prof-name=${kind}-${n}.cpuprofile`);
  const server = forkTracked(serverLabel, path.join(options.benchDist, 'fanout/server-process.js'), [kind], {
    execArgv,
    env: { BENCH_REDIS_URL: options.redisUrl ?? '', NODE_ENV: 'production' },
    maxMs: budgetMs,
  });
  let loadgen: ChildProcess | undefined;
  let loadgenClosed = false;
  const closeLoadgen = () => {
    if (loadgenClosed || !loadgen?.connected) return;
    loadgenClosed = true;
    // The callback swallows a channel that closes meanwhile (the process exiting on its own).
    loadgen.send({ type: 'close' } satisfies ToLoadgen, () => undefined);
  };
  try {
    const clock = async () =>
      ask(server, serverLabel, { type: 'clock' }, 10_000, (m) => (m.type === 'clock' ? m.micros : undefined));
    const listening = await expectMessage(server, serverLabel, SERVER_START_MS, (m) =>
      m.type === 'listening' ? m : undefined,
    );
    const start = await clock();

    const loadgenExecArgv = options.cpuProfileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`, `--cpu-prof-name=loadgen-${kind}-${n}.cpuprofile`]
      : [];
    loadgen = forkTracked(loadgenLabel, path.join(options.benchDist, 'fanout/loadgen.js'), [], {
      execArgv: loadgenExecArgv,
      maxMs: budgetMs,
    });
    const readyAnswer = expectMessage<LoadgenReady>(
      loadgen,
      loadgenLabel,
      config.connectTimeoutMs + config.readyTimeoutMs + 15_000,
      (m) => (m.type === 'ready' ? m : undefined),
    );
    loadgen.send({
      type: 'start',
      config: { ...config, url: listening.url, connectConcurrency: options.connectConcurrency },
    } satisfies ToLoadgen);
    const ready = await readyAnswer;
    const readyAt = await clock();

    const { snapshot: loaded, info } = await ask(server, serverLabel, { type: 'memory' }, 60_000, (m) =>
      m.type === 'memory' ? m : undefined,
    );
    checkMode(kind, n, info);
    const cpuBefore = await ask(server, serverLabel, { type: 'cpu' }, 10_000, (m) =>
      m.type === 'cpu' ? m : undefined,
    );
    const resultAnswer = expectMessage<LoadgenResult>(loadgen, loadgenLabel, config.burstTimeoutMs + 15_000, (m) =>
      m.type === 'result' ? m : undefined,
    );
    loadgen.send({ type: 'go' } satisfies ToLoadgen);
    const result = await resultAnswer;
    // Read before the load generator closes its sockets, so the window (and the profile cut from it)
    // holds the burst and not the teardown.
    const cpuAfter = await ask(server, serverLabel, { type: 'cpu' }, 10_000, (m) => (m.type === 'cpu' ? m : undefined));
    closeLoadgen();

    const { type: _type, ...burst } = result;
    return {
      server: kind,
      subscribers: n,
      messages: config.messages,
      connectMs: ready.connectMs,
      readyMs: ready.readyMs,
      probes: ready.probes,
      burst,
      serverInfo: info,
      serverCpuCores:
        (cpuAfter.cpuMicros - cpuBefore.cpuMicros) / Math.max(1, cpuAfter.wallMicros - cpuBefore.wallMicros),
      memory: {
        baseline: listening.baseline,
        loaded,
        heapPerConnection: (loaded.heapUsed - listening.baseline.heapUsed) / n,
        rssPerConnection: (loaded.rss - listening.baseline.rss) / n,
      },
      clock: { start, ready: readyAt, burstStart: cpuBefore.wallMicros, burstEnd: cpuAfter.wallMicros },
    };
  } finally {
    // The load generator exits by itself on `close` (writing its profile); stop it if it has not.
    if (loadgen) {
      const lg = loadgen;
      closeLoadgen();
      await Promise.race([exited(lg), sleep(3_000)]);
      await stopChild(lg, 2_000);
    }
    // A clean stop first, so that --cpu-prof can write the profile.
    if (server.connected) server.send({ type: 'stop' } satisfies ToServer);
    const timer = setTimeout(() => server.kill('SIGKILL'), 20_000);
    await new Promise<void>((resolve) =>
      server.exitCode !== null || server.signalCode !== null ? resolve() : server.once('exit', () => resolve()),
    );
    clearTimeout(timer);
  }
}
