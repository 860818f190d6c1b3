/** Tables of a results file, as aligned text for the terminal and as Markdown for the README. */
import { SERVER_LABELS, SERVER_SHORT, type ServerKind } from '../fanout/protocol';
import type { MachineFacts } from '../lib/machine';
import type { BenchResults, FanoutSummary, StormSection } from './results';
import type { StormRecord } from '../storm/run-storm';

type Table = {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
};

const KB = 1024;
const num = (v: number, digits = 0) =>
  Number.isFinite(v)
    ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';
const ratio = (v: number | null | undefined) =>
  v !== null && v !== undefined && Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a';
const kb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / KB).toFixed(1)} KB` : 'n/a');
const nLabel = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));

export function machineLine(m: MachineFacts): string {
  return `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.nodeVersion}, ${m.platform}, load ${m.loadAverage1m} at start, ${m.date}`;
}

function fanoutTable(summary: readonly FanoutSummary[]): Table {
  return {
    title:
      'Fan-out: one room, N subscribers, a burst of K posts (medians; ratios to (a) raw ws and to (a2) raw ws with batched writes, same N, same run)',
    header: [
      'N',
      'K',
      'server',
      'delivered/s',
      'vs (a)',
      'vs (a2)',
      'p50 ms',
      'p99 ms',
      'p99 vs (a)',
      'p99 vs (a2)',
      'server CPU',
      'loadgen CPU',
      'exact',
    ],
    rows: summary.map((s) => [
      nLabel(s.subscribers),
      String(s.messages),
      SERVER_LABELS[s.server],
      s.runs > 0 ? num(s.deliveredPerSecond) : `failed: ${s.errors[0] ?? ''}`.slice(0, 80),
      ratio(s.rateRatio),
      ratio(s.batchedRateRatio),
      num(s.p50Ms),
      num(s.p99Ms),
      ratio(s.p99Ratio),
      ratio(s.batchedP99Ratio),
      num(s.serverCpuCores, 2),
      num(s.loadgenCpuCores, 2),
      s.exact ? 'yes' : 'NO',
    ]),
  };
}

/** Pairs of servers whose ratio isolates one part of the lead over (a). */
const COMPARISONS: readonly { readonly of: ServerKind; readonly to: ServerKind; readonly what: string }[] = [
  { of: 'raw-batched', to: 'raw', what: 'batched writes alone, on the floor' },
  { of: 'ours', to: 'raw-batched', what: 'our service vs the batched floor' },
  { of: 'ours', to: 'ours-per-connection', what: 'de-duplication: shared vs per-connection execution' },
  { of: 'ours-per-connection', to: 'raw', what: 'our service without de-duplication vs the floor' },
  { of: 'ours-redis', to: 'ours', what: 'Redis vs in-memory pub/sub' },
  { of: 'ours', to: 'ours-history-off', what: 'history on vs off, in memory' },
  { of: 'ours-redis', to: 'ours-redis-history-off', what: 'history on vs off, Redis' },
];

/** Each comparison at each N, as throughput ratio / p99 ratio (medians of the same run). */
function comparisonTable(summary: readonly FanoutSummary[]): Table | undefined {
  const ns = [...new Set(summary.map((s) => s.subscribers))].sort((a, b) => a - b);
  const find = (server: ServerKind, n: number) =>
    summary.find((s) => s.server === server && s.subscribers === n && s.runs > 0);
  const rows = COMPARISONS.filter((c) => ns.some((n) => find(c.of, n) && find(c.to, n))).map((c) => [
    `${SERVER_SHORT[c.of]} / ${SERVER_SHORT[c.to]}`,
    c.what,
    ...ns.map((n) => {
      const a = find(c.of, n);
      const b = find(c.to, n);
      return a && b ? `${ratio(a.deliveredPerSecond / b.deliveredPerSecond)} / ${ratio(a.p99Ms / b.p99Ms)}` : 'n/a';
    }),
  ]);
  if (rows.length === 0) return undefined;
  return {
    title:
      'What each part brings: delivered/s ratio / p99 ratio between two servers at the same N (medians, same run; higher / lower is better)',
    header: ['ratio', 'what it isolates', ...ns.map((n) => `N = ${nLabel(n)}`)],
    rows,
  };
}

function stormTable(storm: StormSection): Table {
  const ok = storm.runs.filter((r): r is StormRecord => !('error' in r));
  const off = ok.find((r) => r.history === 'off');
  const first = ok[0];
  const ms = (v: number) => (Number.isFinite(v) ? `${num(v)} ms` : 'n/a');
  return {
    title: `Reconnect storm: ${
      first
        ? `${num(first.drained)} subscribers drained (1012 over ${first.drainWindowMs / 1000} s) ` +
          `reconnect to the survivor (${num(first.survivors)} subscribers of its own, ${first.postsPerSecond} posts/s, Redis), ` +
          `full-jitter delay under ${first.backoffBaseMs} ms`
        : 'not measured'
    }; history on vs off, same run`,
    header: [
      'history',
      'caught up',
      'last caught up (from drain start)',
      'close to caught up p50 / p99',
      'lost',
      'duplicated',
      'posts refused',
      'recovered / replayed',
      'survivor p99 before',
      'survivor p99 during storm',
      'p99 during vs history off',
    ],
    rows: storm.runs.map((r) =>
      'error' in r
        ? [r.history, `failed: ${r.error}`.slice(0, 80), '', '', '', '', '', '', '', '', '']
        : [
            r.history,
            `${num(r.caughtUp)} / ${num(r.drained)}`,
            ms(r.lastCaughtUpMs),
            `${ms(r.closeToCaughtUpMs.p50)} / ${ms(r.closeToCaughtUpMs.p99)}`,
            num(r.lost),
            num(r.duplicated + r.outOfOrder),
            `${num(r.publishFailed)} / ${num(r.published + r.publishFailed)}`,
            r.resume ? `${num(r.recovered)} / ${num(r.replayed)}` : 'n/a',
            ms(r.survivorBaseline.p99Ms),
            ms(r.survivorStorm.p99Ms),
            off ? ratio(r.survivorStorm.p99Ms / off.survivorStorm.p99Ms) : 'n/a',
          ],
    ),
  };
}

export interface Target {
  readonly target: string;
  readonly value: string;
  readonly met: boolean | null;
}

/**
 * The project's performance targets and where the results stand: fan-out and p99 as ratios to (a) raw ws
 * (absolute figures move with the machine), heap per connection and synthesis time as limits.
 */
export function targets(results: BenchResults): Target[] {
  const out: Target[] = [];
  const summary = results.fanout?.summary ?? [];
  const largest = summary.length > 0 ? Math.max(...summary.map((s) => s.subscribers)) : 0;
  const ours = summary.find((s) => s.server === 'ours' && s.subscribers === largest);
  const at = largest === 10_000 ? 'at 10k' : `at ${nLabel(largest)} (10k not measured)`;
  out.push({
    target: `Fan-out (c) >= 0.8x (a) raw ws ${at}`,
    value: ratio(ours?.rateRatio),
    met: ours && Number.isFinite(ours.rateRatio) ? ours.rateRatio >= 0.8 : null,
  });
  out.push({
    target: `p99 (c) <= 1.5x (a) raw ws p99 ${at}`,
    value: ours ? `${ratio(ours.p99Ratio)} (${num(ours.p99Ms)} ms)` : 'n/a',
    met: ours && Number.isFinite(ours.p99Ratio) ? ours.p99Ratio <= 1.5 : null,
  });
  for (const [on, off, where] of [
    ['ours', 'ours-history-off', 'in memory'],
    ['ours-redis', 'ours-redis-history-off', 'Redis'],
  ] as const) {
    const withHistory = summary.find((s) => s.server === on && s.subscribers === largest && s.runs > 0);
    const without = summary.find((s) => s.server === off && s.subscribers === largest && s.runs > 0);
    const r = withHistory && without ? withHistory.deliveredPerSecond / without.deliveredPerSecond : undefined;
    out.push({
      target: `Fan-out with history >= 0.9x history off, ${where} (${SERVER_SHORT[on]} / ${SERVER_SHORT[off]}) ${at}`,
      value: ratio(r),
      met: r !== undefined && Number.isFinite(r) ? r >= 0.9 : null,
    });
  }
  const mem = results.memory?.rows.find((r) => r.server === 'ours');
  out.push({
    target: `Heap per subscribed connection (c) <= 8 KB ${mem && mem.subscribers === 10_000 ? 'at 10k' : `at ${mem ? nLabel(mem.subscribers) : '?'}`}`,
    value: mem ? kb(mem.heapPerConnection) : 'n/a',
    met: mem && Number.isFinite(mem.heapPerConnection) ? mem.heapPerConnection <= 8 * KB : null,
  });
  const synth = results.synth;
  const app = synth?.results.find((r) => r.id === 'app');
  out.push({
    target: 'Synthesis (a) <= 0.25x the AWS CDK peer',
    value: ratio(synth?.appOverPeer),
    met: synth?.appOverPeer !== null && synth?.appOverPeer !== undefined ? synth.appOverPeer <= 0.25 : null,
  });
  out.push({
    target: 'Synthesis (a) <= 1 s',
    value: app ? `${(app.medianMs / 1000).toFixed(2)} s` : 'n/a',
    met: app ? app.medianMs <= 1000 : null,
  });
  return out;
}

export function tables(results: BenchResults): Table[] {
  const list: Table[] = [];
  if (results.fanout) {
    list.push(fanoutTable(results.fanout.summary));
    const comparison = comparisonTable(results.fanout.summary);
    if (comparison) list.push(comparison);
  }
  if (results.memory) {
    list.push({
      title: 'Memory per subscribed idle connection (server process, after two GCs; (loaded - baseline) / N)',
      header: ['server', 'N', 'heap / connection', 'RSS / connection'],
      rows: results.memory.rows.map((r) => [
        SERVER_LABELS[r.server],
        nLabel(r.subscribers),
        kb(r.heapPerConnection),
        kb(r.rssPerConnection),
      ]),
    });
  }
  if (results.storm) list.push(stormTable(results.storm));
  if (results.synth) {
    const peer = results.synth.results.find((r) => r.id === 'peer');
    list.push({
      title: `Synthesis: whole-process wall time, median of ${results.synth.runs} runs after a warm-up`,
      header: ['case', 'command', 'median', 'vs AWS CDK peer', 'runs (s)'],
      rows: [
        ...results.synth.results.map((r) => [
          r.label,
          `\`${r.commandLine}\``,
          `${(r.medianMs / 1000).toFixed(2)} s`,
          peer ? ratio(r.medianMs / peer.medianMs) : 'n/a',
          r.runsMs.map((ms) => (ms / 1000).toFixed(2)).join(' '),
        ]),
        ...results.synth.skipped.map((why) => [why, '', 'skipped', '', '']),
      ],
    });
  }
  if (results.profile) {
    const p = results.profile;
    list.push({
      title:
        `Where ${SERVER_LABELS[p.server]} spends a burst at N = ${nLabel(p.subscribers)}, K = ${p.messages} ` +
        `(CPU profile, self time; server idle ${p.burst.idlePct}%, GC ${p.burst.gcPct}%` +
        `${p.loadgenBurst ? `; load generator idle ${p.loadgenBurst.idlePct}% of the same window` : ''})`,
      header: ['self %', 'function', 'by package', 'self %'],
      rows: Array.from({ length: Math.min(12, p.burst.topFunctions.length) }, (_, i) => {
        const f = p.burst.topFunctions[i];
        const pkg = p.burst.byPackage[i];
        return [
          `${f.selfPct.toFixed(1)}%`,
          `\`${f.name}\``,
          pkg ? pkg.name : '',
          pkg ? `${pkg.selfPct.toFixed(1)}%` : '',
        ];
      }),
    });
  }
  const floor = results.profile?.floor;
  if (results.profile && floor) {
    const ours = results.profile.burst;
    const share = (summary: typeof ours, name: string) => summary.byPackage.find((p) => p.name === name)?.selfPct;
    // byPackage lists the top 15: a package missing from a shorter list had no samples at all.
    const missing = (summary: typeof ours) =>
      summary.byPackage.length < 15 ? '0%' : `< ${summary.byPackage[summary.byPackage.length - 1].selfPct.toFixed(1)}%`;
    const names = [
      ...new Set([...ours.byPackage.slice(0, 8), ...floor.burst.byPackage.slice(0, 8)].map((p) => p.name)),
    ];
    const pct = (summary: typeof ours, name: string) => {
      const v = share(summary, name);
      return v === undefined ? missing(summary) : `${v.toFixed(1)}%`;
    };
    list.push({
      title:
        `The same burst profiled on ${SERVER_LABELS[floor.server]} (same N, K): self time by package, ` +
        `${SERVER_SHORT[results.profile.server]} vs ${SERVER_SHORT[floor.server]}`,
      header: ['package', SERVER_SHORT[results.profile.server], SERVER_SHORT[floor.server]],
      rows: [
        ['burst window', `${num(ours.windowMs)} ms`, `${num(floor.burst.windowMs)} ms`],
        ...names
          .sort((a, b) => (share(ours, b) ?? 0) - (share(ours, a) ?? 0))
          .map((name) => [name, pct(ours, name), pct(floor.burst, name)]),
      ],
    });
  }
  list.push({
    title: 'Performance targets (ratios to (a) raw ws, and absolute limits)',
    header: ['target', 'now', 'met'],
    rows: targets(results).map((t) => [t.target, t.value, t.met === null ? 'not measured' : t.met ? 'yes' : 'no']),
  });
  return list;
}

export function renderText(list: readonly Table[]): string {
  return list
    .map((t) => {
      const cells = [t.header, ...t.rows].map((row) => row.map((c) => c.replace(/`/g, '')));
      const widths = t.header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
      const line = (row: readonly string[]) =>
        row
          .map((c, i) => (c ?? '').padEnd(widths[i]))
          .join('  ')
          .trimEnd();
      return [t.title, line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join(
        '\n',
      );
    })
    .join('\n\n');
}

export function renderMarkdown(list: readonly Table[]): string {
  const escape = (c: string) => c.replace(/\|/g, '\\|');
  return list
    .map((t) =>
      [
        `**${t.title}**`,
        '',
        `| ${t.header.map(escape).join(' | ')} |`,
        `| ${t.header.map(() => '---').join(' | ')} |`,
        ...t.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
      ].join('\n'),
    )
    .join('\n\n');
}
