/**
 * `npm run bench:suite -- --baseline <commit> [--rounds N]`: how long jest takes on this tree against a
 * baseline commit, measured side by side in one run (the runs alternate, N rounds) and given as ratios, since
 * a shared machine makes absolute times drift by a fifth from one run to the next. Three rows:
 *
 * - baseline: `jest` in a worktree of the commit (in the system's temporary folder, `npm ci` on first use;
 *   `git worktree remove <folder>` deletes it);
 * - current: `jest` in this tree, every suite;
 * - current, the baseline's suites: this tree's versions of the suites the baseline has (same path, or the
 *   same file name where a suite moved), so the change in the suites themselves shows apart from new ones;
 * - current, the suites it lacks: every other suite of this tree, alone (what the new suites cost).
 *
 * Wall time is measured around each jest process. CPU time is what jest and the processes it waited for used
 * (Linux: the children's times in /proc/self/stat); a process that outlives its parent, such as a detached
 * container's monitor, is not counted, so for rows that start containers it is a lower bound. Each round runs
 * jest once per row (a few minutes each); the order rotates between rounds, so no row always runs first.
 * Prints the table and writes bench/results/suite-time.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { machineFacts } from '../lib/machine';
import { median, round as rounded } from '../lib/stats';

const ROOT = path.resolve(__dirname, '../..');
const TMP = path.join(ROOT, 'bench/tmp');
const RESULTS = path.join(ROOT, 'bench/results/suite-time.json');
/** One jest run's limit: about ten times what the whole suite takes on two cores. */
const JEST_LIMIT_MS = 20 * 60_000;

interface Options {
  readonly baseline: string;
  readonly rounds: number;
}

export function parseOptions(argv: readonly string[]): Options {
  let baseline: string | undefined;
  let rounds = 3;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--baseline' && value !== undefined) {
      baseline = value;
      i++;
    } else if (arg === '--rounds' && value !== undefined) {
      rounds = Number(value);
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10)
        throw new Error(`--rounds ${value}: expected a whole number from 1 to 10`);
      i++;
    } else {
      throw new Error(`unknown or incomplete option "${arg}": usage: --baseline <commit> [--rounds 1-10]`);
    }
  }
  if (baseline === undefined) throw new Error('--baseline <commit> is required: the commit to compare with');
  return { baseline, rounds };
}

const git = (args: readonly string[], cwd = ROOT): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

const isTest = (file: string): boolean => file.endsWith('.test.ts');
/** The suites of a commit. */
const committedTests = (commit: string): string[] =>
  git(['ls-tree', '-r', '--name-only', commit, '--', '__tests__']).split('\n').filter(isTest);
/** The suites of the working tree, uncommitted ones included. */
const workingTests = (): string[] =>
  git(['ls-files', '--cached', '--others', '--exclude-standard', '--', '__tests__']).split('\n').filter(isTest);

/**
 * This tree's counterpart of each baseline suite: the same path, else the one suite with the same file name
 * (a suite that moved folders). Suites with none, or with several candidates, are listed as unmatched.
 */
export function counterparts(
  baselineFiles: readonly string[],
  currentFiles: readonly string[],
): { matched: string[]; unmatched: string[]; added: string[] } {
  const current = new Set(currentFiles);
  const matched: string[] = [];
  const unmatched: string[] = [];
  for (const file of baselineFiles) {
    if (current.has(file)) {
      matched.push(file);
      continue;
    }
    const sameName = currentFiles.filter((f) => path.basename(f) === path.basename(file));
    if (sameName.length === 1 && sameName[0] !== undefined) matched.push(sameName[0]);
    else unmatched.push(file);
  }
  // Two baseline suites can have one counterpart (merged, or moved beside one of the same name): run it once.
  const counted = new Set(matched);
  return { matched: [...counted], unmatched, added: currentFiles.filter((f) => !counted.has(f)) };
}

/**
 * A worktree of the commit with its npm packages, made on first use and reused after. Outside this tree, so
 * that neither jest, eslint nor Prettier here sees its files.
 */
function baselineTree(commit: string): string {
  const dir = path.join(os.tmpdir(), `ws-graphql-aws-suite-baseline-${commit.slice(0, 12)}`);
  if (!fs.existsSync(path.join(dir, 'package.json'))) git(['worktree', 'add', '--force', '--detach', dir, commit]);
  if (!fs.existsSync(path.join(dir, 'node_modules/jest/bin/jest.js'))) {
    process.stdout.write(`npm ci in ${dir} ...\n`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  }
  return dir;
}

/** Seconds of CPU used by this process's waited-for children and their descendants; NaN off Linux. */
function childrenCpuSeconds(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of proc(5) (cutime, cstime), counted from the state field (3), in USER_HZ (100).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Row {
  readonly name: string;
  readonly cwd: string;
  readonly args: readonly string[];
  readonly wallSeconds: number[];
  readonly cpuSeconds: number[];
  suites?: number;
  tests?: number;
  failedTests: number;
  /** Suites that failed, including those that did not load (their tests count neither as run nor failed). */
  failedSuites: number;
}

function runJest(row: Row, round: number): void {
  fs.mkdirSync(TMP, { recursive: true });
  const report = path.join(TMP, `suite-time-${round}-${row.name.replace(/\W+/g, '-')}.json`);
  const log = `${report.slice(0, -'.json'.length)}.log`;
  // A report left by an earlier run must not pass for this one's.
  fs.rmSync(report, { force: true });
  const out = fs.openSync(log, 'w');
  const cpuBefore = childrenCpuSeconds();
  const start = process.hrtime.bigint();
  const result = spawnSync(
    process.execPath,
    ['node_modules/jest/bin/jest.js', '--json', `--outputFile=${report}`, ...row.args],
    {
      cwd: row.cwd,
      stdio: ['ignore', out, out],
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
      // Bounded like every benchmark child: a hung suite ends the run (no report) instead of stalling it. The
      // workers of a killed jest exit on their own once their parent is gone.
      timeout: JEST_LIMIT_MS,
      killSignal: 'SIGKILL',
    },
  );
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = childrenCpuSeconds() - cpuBefore;
  fs.closeSync(out);
  if (!fs.existsSync(report)) {
    const how = result.signal === 'SIGKILL' ? `killed after ${JEST_LIMIT_MS / 60_000} min` : `exit ${result.status}`;
    throw new Error(`${row.name}: jest wrote no report (${how}); see ${log}`);
  }
  const json = JSON.parse(fs.readFileSync(report, 'utf8')) as {
    numTotalTestSuites: number;
    numFailedTestSuites: number;
    numRuntimeErrorTestSuites: number;
    numTotalTests: number;
    numFailedTests: number;
  };
  const failedSuites = Math.max(json.numFailedTestSuites, json.numRuntimeErrorTestSuites, result.status === 0 ? 0 : 1);
  row.wallSeconds.push(rounded(wall, 3));
  row.cpuSeconds.push(rounded(cpu));
  row.suites = json.numTotalTestSuites;
  row.tests = json.numTotalTests;
  row.failedTests += json.numFailedTests;
  row.failedSuites += failedSuites;
  process.stdout.write(
    `round ${round} ${row.name}: ${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU, ` +
      `${json.numTotalTests} tests, ${json.numFailedTests} failed, ${failedSuites} suite(s) failed\n`,
  );
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  let commit: string;
  try {
    commit = git(['rev-parse', '--verify', '--quiet', `${options.baseline}^{commit}`]);
  } catch {
    throw new Error(`--baseline ${options.baseline}: not a commit of this repository`);
  }
  const head = git(['rev-parse', 'HEAD']);
  const dirty = git(['status', '--porcelain']) !== '';
  const baselineDir = baselineTree(commit);
  const { matched, unmatched, added } = counterparts(committedTests(commit), workingTests());
  // With no path, --runTestsByPath would run every suite under the subset's name.
  if (matched.length === 0) throw new Error(`--baseline ${options.baseline}: none of its suites is in this tree`);
  const row = (name: string, cwd: string, args: readonly string[]): Row => ({
    name,
    cwd,
    args,
    wallSeconds: [],
    cpuSeconds: [],
    failedTests: 0,
    failedSuites: 0,
  });
  const rows = [
    row(`baseline ${commit.slice(0, 7)}`, baselineDir, []),
    row(`current ${head.slice(0, 7)}${dirty ? '+' : ''}`, ROOT, []),
    row(`current, the baseline's suites`, ROOT, ['--runTestsByPath', ...matched]),
    ...(added.length > 0 ? [row('current, the suites it lacks', ROOT, ['--runTestsByPath', ...added])] : []),
  ];
  // Each round starts with another row, so no row always runs first (jest's caches) or last.
  for (let round = 1; round <= options.rounds; round++) {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[(i + round - 1) % rows.length];
      if (r !== undefined) runJest(r, round);
    }
  }
  const base = rows[0];
  const ratio = (x: number, b: number): string => `${(x / b).toFixed(2)}x`;
  const lines = [
    `${'jest'.padEnd(34)} ${'suites'.padStart(6)} ${'tests'.padStart(6)} ${'wall'.padStart(8)} ${'CPU'.padStart(8)}  wall ratio  CPU ratio`,
    ...rows.map(
      (r) =>
        `${r.name.padEnd(34)} ${String(r.suites).padStart(6)} ${String(r.tests).padStart(6)} ` +
        `${median(r.wallSeconds).toFixed(1).padStart(6)} s ${median(r.cpuSeconds).toFixed(1).padStart(6)} s  ` +
        `${ratio(median(r.wallSeconds), median(base?.wallSeconds ?? [])).padStart(10)}  ` +
        `${ratio(median(r.cpuSeconds), median(base?.cpuSeconds ?? [])).padStart(9)}`,
    ),
  ];
  const machine = machineFacts();
  process.stdout.write(
    `\n${machine.cores} cores, ${machine.cpuModel}; medians of ${options.rounds} round(s)\n${lines.join('\n')}\n`,
  );
  if (unmatched.length > 0) process.stdout.write(`baseline suites with no counterpart: ${unmatched.join(', ')}\n`);
  const failed = rows.filter((r) => r.failedTests > 0 || r.failedSuites > 0);
  if (failed.length > 0) process.stdout.write(`failed tests in: ${failed.map((r) => r.name).join(', ')}\n`);
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(
    RESULTS,
    `${JSON.stringify(
      {
        machine,
        baseline: { commit, subject: git(['log', '-1', '--format=%s', commit]) },
        current: { commit: head, uncommittedChanges: dirty },
        rounds: options.rounds,
        unmatchedBaselineSuites: unmatched,
        rows: rows.map(({ cwd: _cwd, args: _args, ...r }) => r),
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`wrote ${path.relative(ROOT, RESULTS)}; the baseline worktree is ${baselineDir}\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`bench:suite: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
