/** The shape of bench/results/results.json and the aggregation of raw measurements into it. */
import type { FanoutResult } from '../fanout/run-fanout';
import { SERVER_KINDS, type ServerKind } from '../fanout/protocol';
import type { SynthResult } from '../synth/run-synth';
import type { MachineFacts } from '../lib/machine';
import { median } from '../lib/stats';
import type { ProfileSummary } from './profile';
import type { StormRecord } from '../storm/run-storm';

export interface FailedFanout {
  readonly server: ServerKind;
  readonly subscribers: number;
  readonly messages: number;
  readonly error: string;
}

export type FanoutRecord = FanoutResult | FailedFanout;

export function isFailed(record: FanoutRecord): record is FailedFanout {
  return 'error' in record;
}

/** Medians over the repetitions of one (server, N), and ratios to raw ws at the same N. */
export interface FanoutSummary {
  readonly server: ServerKind;
  readonly subscribers: number;
  readonly messages: number;
  readonly runs: number;
  readonly failedRuns: number;
  readonly deliveredPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** deliveredPerSecond / raw's deliveredPerSecond (higher is better; target >= 0.8 at 10k). */
  readonly rateRatio: number;
  /** p99Ms / raw's p99Ms (lower is better; target <= 1.5 at 10k). */
  readonly p99Ratio: number;
  /** deliveredPerSecond / (a2) raw ws with batched writes at the same N: the lead without batching's share. */
  readonly batchedRateRatio: number;
  /** p99Ms / (a2)'s p99Ms. */
  readonly batchedP99Ratio: number;
  readonly serverCpuCores: number;
  readonly loadgenCpuCores: number;
  readonly heapPerConnection: number;
  readonly rssPerConnection: number;
  /** Every run delivered exactly K messages, in order, to every socket. */
  readonly exact: boolean;
  readonly errors: readonly string[];
}

export interface FanoutSection {
  readonly machine: MachineFacts;
  readonly messagesPerBurst: Readonly<Record<string, number>>;
  readonly repeat: number;
  readonly summary: readonly FanoutSummary[];
  readonly runs: readonly FanoutRecord[];
}

export interface MemoryRow {
  readonly server: ServerKind;
  readonly subscribers: number;
  readonly heapPerConnection: number;
  readonly rssPerConnection: number;
}

export interface SynthSection {
  readonly machine: MachineFacts;
  readonly runs: number;
  readonly results: readonly SynthResult[];
  /** (a)/(c): the cdktf.json app (what `npm run synth` and `cdktf synth` run) over the AWS CDK peer. */
  readonly appOverPeer: number | null;
  /** (b)/(c): cdktf synth through the CLI over the AWS CDK peer. */
  readonly cliOverPeer: number | null;
  /** Cases that could not run and why (e.g. main.ts missing). */
  readonly skipped: readonly string[];
}

export interface ProfileSection {
  readonly machine: MachineFacts;
  readonly server: ServerKind;
  readonly subscribers: number;
  readonly messages: number;
  readonly burst: ProfileSummary;
  readonly setup: ProfileSummary;
  /** The load generator's own profile over the same burst: mostly idle means it was not the bottleneck. */
  readonly loadgenBurst: ProfileSummary | null;
  /** (a2), the batched floor, profiled the same way at the same N and K: what the GraphQL layer adds on top. */
  readonly floor?: { readonly server: ServerKind; readonly burst: ProfileSummary } | null;
}

export interface StormSection {
  readonly machine: MachineFacts;
  /** History on and off, same run, same Redis; a failed run is recorded with its error. */
  readonly runs: readonly (StormRecord | { readonly history: 'on' | 'off'; readonly error: string })[];
}

export interface BenchResults {
  readonly fanout?: FanoutSection;
  /** From the fan-out runs at the largest N: per-connection memory of idle subscribed sockets. */
  readonly memory?: { readonly machine: MachineFacts; readonly rows: readonly MemoryRow[] };
  readonly synth?: SynthSection;
  readonly profile?: ProfileSection;
  readonly storm?: StormSection;
}

export function summarizeFanout(runs: readonly FanoutRecord[]): FanoutSummary[] {
  const keys = new Map<string, FanoutRecord[]>();
  for (const run of runs) {
    const key = `${run.subscribers}/${run.server}`;
    keys.set(key, [...(keys.get(key) ?? []), run]);
  }
  const medians = new Map<
    string,
    Omit<FanoutSummary, 'rateRatio' | 'p99Ratio' | 'batchedRateRatio' | 'batchedP99Ratio'>
  >();
  for (const [key, group] of keys) {
    const ok = group.filter((r): r is FanoutResult => !isFailed(r));
    const first = group[0];
    const m = (pick: (r: FanoutResult) => number) => (ok.length > 0 ? median(ok.map(pick)) : Number.NaN);
    medians.set(key, {
      server: first.server,
      subscribers: first.subscribers,
      messages: first.messages,
      runs: ok.length,
      failedRuns: group.length - ok.length,
      deliveredPerSecond: m((r) => r.burst.deliveredPerSecond),
      p50Ms: m((r) => r.burst.p50Ms),
      p99Ms: m((r) => r.burst.p99Ms),
      serverCpuCores: m((r) => r.serverCpuCores),
      loadgenCpuCores: m((r) => r.burst.loadgenCpuCores),
      heapPerConnection: m((r) => r.memory.heapPerConnection),
      rssPerConnection: m((r) => r.memory.rssPerConnection),
      exact:
        ok.length === group.length &&
        ok.every(
          (r) => r.burst.delivered === r.burst.expected && r.burst.outOfOrder === 0 && r.burst.incompleteSockets === 0,
        ),
      errors: [...new Set(group.flatMap((r) => (isFailed(r) ? [r.error] : r.burst.errors)))].slice(0, 5),
    });
  }
  const order = (s: { subscribers: number; server: ServerKind }) => s.subscribers * 10 + SERVER_KINDS.indexOf(s.server);
  return [...medians.values()]
    .map((s) => {
      const raw = medians.get(`${s.subscribers}/raw`);
      const batched = medians.get(`${s.subscribers}/raw-batched`);
      return {
        ...s,
        rateRatio: raw ? s.deliveredPerSecond / raw.deliveredPerSecond : Number.NaN,
        p99Ratio: raw ? s.p99Ms / raw.p99Ms : Number.NaN,
        batchedRateRatio: batched ? s.deliveredPerSecond / batched.deliveredPerSecond : Number.NaN,
        batchedP99Ratio: batched ? s.p99Ms / batched.p99Ms : Number.NaN,
      };
    })
    .sort((a, b) => order(a) - order(b));
}

/** Servers in the memory table: (a) the floor, (b) the peer, (c) ours, and (c0) to show what sharing saves per socket. */
const MEMORY_SERVERS: readonly ServerKind[] = ['raw', 'peer', 'ours-per-connection', 'ours'];

export function memoryRows(summary: readonly FanoutSummary[]): MemoryRow[] {
  const largest = Math.max(...summary.map((s) => s.subscribers));
  return summary
    .filter((s) => s.subscribers === largest && MEMORY_SERVERS.includes(s.server) && s.runs > 0)
    .map((s) => ({
      server: s.server,
      subscribers: s.subscribers,
      heapPerConnection: s.heapPerConnection,
      rssPerConnection: s.rssPerConnection,
    }));
}
