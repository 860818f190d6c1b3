/**
 * Synthesis timing: whole-process wall time of each case, spawned fresh every time, one warm-up round
 * and then `runs` rounds. Rounds interleave the cases (a, b, c, a, b, c, ...) so that a burst of other
 * load on the machine hits all of them alike.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { exited, spawnTracked } from '../lib/children';
import { median } from '../lib/stats';

export type SynthCaseId = 'app' | 'compiled' | 'cli' | 'peer';

export interface SynthCase {
  readonly id: SynthCaseId;
  readonly label: string;
  /** The command line, for the report. */
  readonly commandLine: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Output directory, emptied before each run and checked after it. */
  readonly outDir: string;
  /** File name suffix the run must have written somewhere under outDir. */
  readonly expectOutput: string;
}

export interface SynthResult {
  readonly id: SynthCaseId;
  readonly label: string;
  readonly commandLine: string;
  readonly runsMs: readonly number[];
  readonly medianMs: number;
  /** Output files written by the last run (stacks or templates). */
  readonly outputs: readonly string[];
}

const RUN_TIMEOUT_MS = 180_000;

function findFiles(dir: string, suffix: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findFiles(full, suffix));
    else if (entry.name.endsWith(suffix)) found.push(full);
  }
  return found;
}

/** Runs one case once and returns its wall time in milliseconds. */
async function timeOnce(c: SynthCase): Promise<number> {
  fs.rmSync(c.outDir, { recursive: true, force: true });
  fs.mkdirSync(c.outDir, { recursive: true });
  let output = '';
  const started = performance.now();
  const child = spawnTracked(`synth ${c.id}`, c.command, c.args, {
    cwd: c.cwd,
    env: { ...process.env, ...c.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxMs: RUN_TIMEOUT_MS,
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await exited(child);
  const elapsed = performance.now() - started;
  if (code !== 0) throw new Error(`${c.label} (${c.commandLine}) exited with ${code}:\n${output.slice(-3000)}`);
  if (findFiles(c.outDir, c.expectOutput).length === 0) {
    throw new Error(
      `${c.label} (${c.commandLine}) wrote no *${c.expectOutput} under ${c.outDir}:\n${output.slice(-3000)}`,
    );
  }
  return elapsed;
}

export async function runSynth(
  cases: readonly SynthCase[],
  runs: number,
  log: (line: string) => void,
): Promise<SynthResult[]> {
  const times = new Map<SynthCaseId, number[]>(cases.map((c) => [c.id, []]));
  for (let round = 0; round <= runs; round++) {
    for (const c of cases) {
      const ms = await timeOnce(c);
      // Round 0 is the warm-up (disk cache, V8 code cache of the CLI): timed but not counted.
      if (round > 0) times.get(c.id)?.push(ms);
      log(`  synth ${round === 0 ? 'warm-up' : `run ${round}/${runs}`} ${c.label}: ${Math.round(ms)} ms`);
    }
  }
  return cases.map((c) => {
    const runsMs = times.get(c.id) ?? [];
    return {
      id: c.id,
      label: c.label,
      commandLine: c.commandLine,
      runsMs,
      medianMs: median(runsMs),
      outputs: findFiles(c.outDir, c.expectOutput).map((f) => path.relative(c.outDir, f)),
    };
  });
}
