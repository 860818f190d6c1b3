/**
 * Options of `npm run bench`, from arguments first and the environment second:
 *
 *   npm run bench -- [fanout] [storm] [synth] [profile] [--quick] [--n 1000,5000] [--k 10] [--servers raw,raw-batched,ours]
 *                    [--repeat 3] [--synth-runs 5] [--storm-n 5000] [--out DIR]
 *
 * Environment: BENCH_QUICK=1, BENCH_N, BENCH_K, BENCH_SERVERS, BENCH_REPEAT, BENCH_SYNTH_RUNS, BENCH_STORM_N,
 * BENCH_OUT.
 * No section named means all of them.
 */
import * as path from 'node:path';
import { SERVER_KINDS, type ServerKind } from './fanout/protocol';

export const SECTIONS = ['fanout', 'storm', 'synth', 'profile'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  readonly sections: ReadonlySet<Section>;
  readonly quick: boolean;
  /** Subscriber counts (N), in order. */
  readonly subscribers: readonly number[];
  /** Messages per burst (K); undefined: 10, or enough for 50,000 deliveries at small N. */
  readonly messages: number | undefined;
  readonly servers: readonly ServerKind[];
  /** Fan-out measurements per (server, N); the median is reported. */
  readonly repeat: number;
  /** Timed synthesis runs per case, after one warm-up. */
  readonly synthRuns: number;
  /** Subscribers for the CPU profile of our service. */
  readonly profileSubscribers: number;
  readonly connectConcurrency: number;
  /** Reconnect storm: subscribers drained from one instance, and the survivor's own subscribers. */
  readonly stormDrained: number;
  readonly stormSurvivors: number;
  /** Where results.json, the plot and the profile summary go. */
  readonly outDir: string;
}

export class OptionError extends Error {}

function positiveInts(name: string, raw: string, max: number): number[] {
  const values = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const bad = values.find((v) => !Number.isInteger(v) || v < 1 || v > max);
  if (values.length === 0 || bad !== undefined) {
    throw new OptionError(`${name} must be a comma-separated list of integers in 1..${max} (got '${raw}')`);
  }
  return values;
}

function positiveInt(name: string, raw: string, max: number): number {
  const values = positiveInts(name, raw, max);
  if (values.length !== 1) throw new OptionError(`${name} must be one integer in 1..${max} (got '${raw}')`);
  return values[0];
}

/** The load generator and the server each hold N sockets; 20,000 file descriptors per process here. */
const MAX_SUBSCRIBERS = 19_000;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv, repoRoot: string): BenchOptions {
  const sections = new Set<Section>();
  const flags = new Map<string, string>();
  let quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if ((SECTIONS as readonly string[]).includes(arg)) sections.add(arg as Section);
    else if (arg === '--quick') quick = true;
    else if (['--n', '--k', '--servers', '--repeat', '--synth-runs', '--storm-n', '--out'].includes(arg)) {
      const value = argv[++i];
      if (value === undefined) throw new OptionError(`${arg} needs a value`);
      flags.set(arg, value);
    } else {
      throw new OptionError(
        `unknown argument '${arg}' (sections: ${SECTIONS.join(', ')}; flags: --quick --n --k --servers --repeat --synth-runs --storm-n --out)`,
      );
    }
  }
  const pick = (flag: string, envName: string) => flags.get(flag) ?? (env[envName] || undefined);

  const nRaw = pick('--n', 'BENCH_N');
  const subscribers = nRaw
    ? positiveInts('--n / BENCH_N', nRaw, MAX_SUBSCRIBERS)
    : quick
      ? [500, 2000]
      : [1000, 5000, 10000];
  const kRaw = pick('--k', 'BENCH_K');
  const serversRaw = pick('--servers', 'BENCH_SERVERS');
  const servers = serversRaw ? serversRaw.split(',').map((s) => s.trim()) : [...SERVER_KINDS];
  const unknown = servers.find((s) => !(SERVER_KINDS as readonly string[]).includes(s));
  if (unknown !== undefined)
    throw new OptionError(
      `--servers / BENCH_SERVERS: unknown server '${unknown}' (allowed: ${SERVER_KINDS.join(', ')})`,
    );
  if (servers.length > 0 && !servers.includes('raw'))
    throw new OptionError(`--servers / BENCH_SERVERS must include 'raw': every result is a ratio to it`);
  const repeatRaw = pick('--repeat', 'BENCH_REPEAT');
  const synthRaw = pick('--synth-runs', 'BENCH_SYNTH_RUNS');
  const outRaw = pick('--out', 'BENCH_OUT');
  const stormRaw = pick('--storm-n', 'BENCH_STORM_N');
  const stormDrained = stormRaw
    ? positiveInt('--storm-n / BENCH_STORM_N', stormRaw, MAX_SUBSCRIBERS / 2)
    : quick
      ? 1000
      : 5000;
  return {
    sections: sections.size > 0 ? sections : new Set(SECTIONS),
    quick,
    subscribers,
    // At most 1000: our service is given 1000 operations in flight per socket, the publisher's burst included.
    messages: kRaw ? positiveInt('--k / BENCH_K', kRaw, 1000) : undefined,
    servers: servers as ServerKind[],
    // 5: (c) and (a2) are within noise of each other, so medians need more than 3 runs; a full run stays ~6 min.
    repeat: repeatRaw ? positiveInt('--repeat / BENCH_REPEAT', repeatRaw, 20) : quick ? 1 : 5,
    synthRuns: synthRaw ? positiveInt('--synth-runs / BENCH_SYNTH_RUNS', synthRaw, 50) : quick ? 2 : 5,
    profileSubscribers: Math.max(...subscribers),
    connectConcurrency: 200,
    stormDrained,
    // The survivor's own share: a fifth of the drained count, at least 100.
    stormSurvivors: Math.max(100, Math.round(stormDrained / 5)),
    // A quick run never overwrites the committed results.
    outDir: path.resolve(repoRoot, outRaw ?? (quick ? 'bench/tmp/results' : 'bench/results')),
  };
}

/** K for a given N: 10 messages, more at small N so that every burst has at least 50,000 deliveries. */
export function messagesFor(options: BenchOptions, subscribers: number): number {
  return options.messages ?? Math.max(10, Math.ceil(50_000 / subscribers));
}
