/**
 * The benchmark plot (docs/benchmarks.md), as hand-written SVG (no plotting dependency): grouped bars of the fan-out ratios to
 * raw ws per N (throughput and p99), and the synthesis wall times, with the performance targets as lines.
 */
import { SERVER_KINDS, SERVER_LABELS, type ServerKind } from '../fanout/protocol';
import { machineLine } from './table';
import type { BenchResults } from './results';

// Each "without" variant is a lighter shade of its counterpart: (a2) next to (a), (c0) next to (c).
const COLORS: Record<ServerKind, string> = {
  raw: '#8c8c8c',
  'raw-batched': '#c9c9c9',
  peer: '#4c78a8',
  'ours-per-connection': '#f2a7a8',
  ours: '#e45756',
  'ours-history-off': '#ff9da6',
  'ours-redis': '#f58518',
  'ours-redis-history-off': '#ffbf79',
};
const SYNTH_COLORS = { app: '#e45756', compiled: '#ff9da6', cli: '#f58518', peer: '#4c78a8' } as const;
const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface Bar {
  readonly value: number;
  readonly color: string;
  readonly text: string;
}
interface Group {
  readonly label: string;
  readonly bars: readonly Bar[];
}
interface RefLine {
  readonly value: number;
  readonly label: string;
}
interface Panel {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly title: string;
  readonly subtitle: string;
  readonly groups: readonly Group[];
  readonly refLines: readonly RefLine[];
  readonly format: (v: number) => string;
}

/** A "nice" axis maximum and tick step covering `max`. */
function niceScale(max: number): { top: number; step: number } {
  const raw = max > 0 ? max / 4 : 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  return { top: Math.ceil(max / step) * step || step, step };
}

function panel(p: Panel): string {
  const out: string[] = [];
  const plotTop = p.y + 44;
  const plotBottom = p.y + p.height - 28;
  const plotLeft = p.x + 44;
  const plotRight = p.x + p.width - 8;
  const values = [...p.groups.flatMap((g) => g.bars.map((b) => b.value)), ...p.refLines.map((r) => r.value)].filter(
    Number.isFinite,
  );
  const { top, step } = niceScale(Math.max(...values, 0) * 1.12);
  const yOf = (v: number) => plotBottom - (Math.max(0, Math.min(v, top)) / top) * (plotBottom - plotTop);

  out.push(`<text x="${p.x}" y="${p.y + 14}" font-size="14" font-weight="600" ${FONT}>${esc(p.title)}</text>`);
  out.push(`<text x="${p.x}" y="${p.y + 31}" font-size="11" fill="#555" ${FONT}>${esc(p.subtitle)}</text>`);
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = yOf(v);
    out.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${y}" y2="${y}" stroke="#e6e6e6"/>`);
    out.push(
      `<text x="${plotLeft - 6}" y="${y + 4}" font-size="10" text-anchor="end" fill="#555" ${FONT}>${esc(p.format(v))}</text>`,
    );
  }
  const groupWidth = (plotRight - plotLeft) / Math.max(1, p.groups.length);
  p.groups.forEach((g, gi) => {
    const gx = plotLeft + gi * groupWidth;
    const barWidth = Math.min(36, (groupWidth * 0.8) / Math.max(1, g.bars.length));
    const start = gx + (groupWidth - barWidth * g.bars.length) / 2;
    g.bars.forEach((b, bi) => {
      const x = start + bi * barWidth;
      if (!Number.isFinite(b.value)) {
        out.push(
          `<text x="${x + barWidth / 2}" y="${plotBottom - 4}" font-size="9" text-anchor="middle" fill="#999" ${FONT}>n/a</text>`,
        );
        return;
      }
      const y = yOf(b.value);
      out.push(
        `<rect x="${x + 1}" y="${y}" width="${barWidth - 2}" height="${plotBottom - y}" fill="${b.color}"><title>${esc(b.text)}</title></rect>`,
      );
      // Bare numbers above the bars (the axis carries the unit), so neighbours do not collide.
      out.push(
        `<text x="${x + barWidth / 2}" y="${y - 3}" font-size="${barWidth < 18 ? 7 : barWidth < 24 ? 8 : 9}" text-anchor="middle" ${FONT}>${esc(p.format(b.value).replace(/[xs]$/, ''))}</text>`,
      );
    });
    out.push(
      `<text x="${gx + groupWidth / 2}" y="${plotBottom + 16}" font-size="11" text-anchor="middle" ${FONT}>${esc(g.label)}</text>`,
    );
  });
  out.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${plotBottom}" y2="${plotBottom}" stroke="#333"/>`);
  for (const r of p.refLines) {
    const y = yOf(r.value);
    out.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${y}" y2="${y}" stroke="#222" stroke-dasharray="5 4"/>`);
    out.push(
      `<text x="${plotRight - 2}" y="${y - 4}" font-size="10" text-anchor="end" fill="#222" ${FONT}>${esc(r.label)}</text>`,
    );
  }
  return out.join('\n');
}

function legend(x: number, y: number, items: readonly { label: string; color: string }[]): string {
  let cx = x;
  return items
    .map(({ label, color }) => {
      const s = `<rect x="${cx}" y="${y - 10}" width="12" height="12" fill="${color}"/><text x="${cx + 16}" y="${y}" font-size="11" ${FONT}>${esc(label)}</text>`;
      cx += 24 + label.length * 6.2;
      return s;
    })
    .join('\n');
}

export function renderPlot(results: BenchResults): string {
  const width = 1300;
  const height = 400;
  const parts: string[] = [];
  const summary = results.fanout?.summary ?? [];
  const ns = [...new Set(summary.map((s) => s.subscribers))].sort((a, b) => a - b);
  const servers = SERVER_KINDS.filter((k) => summary.some((s) => s.server === k));
  const nLabel = (n: number) => `N = ${n % 1000 === 0 ? `${n / 1000}k` : n}`;
  const groupsOf = (pick: (s: (typeof summary)[number]) => number) =>
    ns.map((n) => ({
      label: nLabel(n),
      bars: servers.map((k) => {
        const s = summary.find((x) => x.server === k && x.subscribers === n);
        const value = s ? pick(s) : Number.NaN;
        return { value, color: COLORS[k], text: `${SERVER_LABELS[k]}, ${nLabel(n)}: ${value.toFixed(2)}x` };
      }),
    }));
  const k = results.fanout ? Object.values(results.fanout.messagesPerBurst).join('/') : '?';
  parts.push(
    panel({
      x: 16,
      y: 40,
      width: 520,
      height: 320,
      title: 'Fan-out throughput ÷ (a) raw ws (higher = better)',
      subtitle: `delivered msgs/s ÷ (a) at the same N; K = ${k} posts per burst`,
      groups: groupsOf((s) => s.rateRatio),
      refLines: [{ value: 0.8, label: 'target 0.8x' }],
      format: (v) => `${v.toFixed(2)}x`,
    }),
  );
  parts.push(
    panel({
      x: 566,
      y: 40,
      width: 420,
      height: 320,
      title: 'p99 latency ÷ (a) raw ws p99 (lower = better)',
      subtitle: 'p99 publish-to-receive ÷ (a) p99 at the same N',
      groups: groupsOf((s) => s.p99Ratio),
      refLines: [{ value: 1.5, label: 'target 1.5x' }],
      // Two decimals: (a2) and (c) differ in the second one.
      format: (v) => `${v.toFixed(2)}x`,
    }),
  );
  const synth = results.synth?.results ?? [];
  parts.push(
    panel({
      x: 1016,
      y: 40,
      width: 276,
      height: 320,
      title: 'Synthesis time (lower = better)',
      subtitle: `median of ${results.synth?.runs ?? '?'} runs after a warm-up, seconds`,
      groups: synth.map((r) => ({
        label: { app: '(a) app', compiled: '(a0) tsc', cli: '(b) CLI', peer: '(c) AWS CDK' }[r.id],
        bars: [
          {
            value: r.medianMs / 1000,
            color: SYNTH_COLORS[r.id],
            text: `${r.label}: ${(r.medianMs / 1000).toFixed(2)} s`,
          },
        ],
      })),
      refLines: [{ value: 1, label: 'target (a) 1 s' }],
      format: (v) => `${v.toFixed(1)}s`,
    }),
  );
  parts.push(
    legend(
      16,
      24,
      servers.map((s) => ({ label: SERVER_LABELS[s], color: COLORS[s] })),
    ),
  );
  const machine = results.fanout?.machine ?? results.synth?.machine;
  if (machine)
    parts.push(
      `<text x="16" y="${height - 10}" font-size="10" fill="#555" ${FONT}>${esc(machineLine(machine))}</text>`,
    );
  if (results.synth && results.synth.machine.date !== machine?.date) {
    parts.push(
      `<text x="${width - 8}" y="${height - 10}" font-size="10" text-anchor="end" fill="#555" ${FONT}>synthesis measured ${esc(results.synth.machine.date)}</text>`,
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
