/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`) into self time per function and per package, over the
 * whole profile or a window of it. Sample timestamps share process.hrtime's clock (µs), so the server's
 * clock readings around the burst cut the profile into phases.
 */
import * as fs from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: CallFrame }>;
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly selfMs: number;
  /** Share of the window's sampled time (idle included). */
  readonly selfPct: number;
}

export interface ProfileSummary {
  readonly windowMs: number;
  readonly idlePct: number;
  readonly gcPct: number;
  readonly topFunctions: readonly SelfTime[];
  readonly byPackage: readonly SelfTime[];
}

const REPO_ROOT_MARK = /^file:\/\/.*?\/(node_modules\/|bench\/tmp\/dist\/)/;

/** A short location: package-relative for dependencies, repo-relative for our code. */
function location(url: string): string {
  if (!url) return '';
  if (url.startsWith('node:')) return url;
  return url.replace(REPO_ROOT_MARK, '');
}

/** node_modules package (scoped or not), `node:` internals, our own code, or V8 pseudo frames. */
function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  const ours = /bench\/tmp\/dist\/([^/]+(?:\/src)?)/.exec(url);
  if (!ours) return url;
  return ours[1] === 'bench' ? 'bench/' : `${ours[1]}/ (ours)`;
}

function top(map: Map<string, number>, totalMs: number, count: number): SelfTime[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => ({ name, selfMs: Math.round(ms * 10) / 10, selfPct: Math.round((ms / totalMs) * 1000) / 10 }));
}

/** Self time between fromMicros and toMicros (process.hrtime clock); the whole profile by default. */
export function summarizeProfile(
  file: string,
  fromMicros = -Infinity,
  toMicros = Infinity,
  count = 25,
): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  let gcMs = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < fromMicros || t > toMicros) continue;
    // A sample stands for the interval until the next one.
    const ms = (i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0) / 1000;
    const frame = frames.get(profile.samples[i]);
    if (!frame) continue;
    totalMs += ms;
    if (frame.functionName === '(idle)') idleMs += ms;
    if (frame.functionName === '(garbage collector)') gcMs += ms;
    const where = location(frame.url);
    const name = `${frame.functionName || '(anonymous)'}${where ? ` ${where}:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    const pkg = packageOf(frame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
  }
  const safeTotal = totalMs || 1;
  return {
    windowMs: Math.round(totalMs),
    idlePct: Math.round((idleMs / safeTotal) * 1000) / 10,
    gcPct: Math.round((gcMs / safeTotal) * 1000) / 10,
    topFunctions: top(byFunction, safeTotal, count),
    byPackage: top(byPackage, safeTotal, 15),
  };
}
