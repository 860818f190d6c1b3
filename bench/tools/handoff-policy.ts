/**
 * `npm run bench:tools`: wall time of `npm run policy` and `npm run handoff` for every stack of the default app, as a
 * user runs them (a fresh Node process each, synthesis included). Prints the median of RUNS runs and writes
 * bench/results/handoff-policy.json. The target is under 10 s each.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const RUNS = Number(process.env.RUNS ?? 5);

function time(script: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    // Exit code 1 (a policy failure) still measures the run; only a crash is an error.
    try {
      execFileSync('node', ['-r', 'ts-node/register/transpile-only', script], { cwd: ROOT, stdio: 'ignore' });
    } catch (error) {
      if ((error as { status?: number }).status !== 1) throw error;
    }
    out.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

function main(): void {
  const results = {
    machine: `${os.cpus().length} cores, load average ${os.loadavg()[0]?.toFixed(2)}, node ${process.version}`,
    runs: RUNS,
    policySeconds: time('tools/policy/cli.ts'),
    handoffSeconds: time('tools/handoff/bundle.ts'),
  };
  const line = (name: string, xs: number[]): string =>
    `${name.padEnd(16)} median ${median(xs).toFixed(2)} s  (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}, ${xs.length} runs, all stacks)`;
  process.stdout.write(
    `${results.machine}\n${line('npm run policy', results.policySeconds)}\n${line('npm run handoff', results.handoffSeconds)}\n`,
  );
  const file = path.join(ROOT, 'bench/results/handoff-policy.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

main();
