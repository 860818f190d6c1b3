/**
 * `npm run bench`: compiles the app, the service and the bench with tsc, then runs the fan-out, memory,
 * reconnect-storm, synthesis and profile sections, prints the tables, and writes results.json, the SVG plot and the
 * tables in docs/benchmarks.md. See bench/options.ts for arguments and environment variables.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exited, spawnTracked } from './lib/children';
import { machineFacts } from './lib/machine';
import { startRedis, type RedisHandle } from './lib/redis';
import { REDIS_KINDS, SERVER_LABELS, type ServerKind } from './fanout/protocol';
import { runFanout } from './fanout/run-fanout';
import { type BenchOptions, messagesFor, OptionError, parseOptions } from './options';
import { type ProfileSummary, summarizeProfile } from './report/profile';
import { renderPlot } from './report/plot';
import { type BenchResults, type FanoutRecord, memoryRows, type StormSection, summarizeFanout } from './report/results';
import { machineLine, renderMarkdown, renderText, tables } from './report/table';
import { runSynth, type SynthCase } from './synth/run-synth';
import { runStorm } from './storm/run-storm';

const ROOT = path.resolve(__dirname, '..');
const TMP = path.join(ROOT, 'bench/tmp');
const DIST = path.join(TMP, 'dist');
const BENCH_DIST = path.join(DIST, 'bench');

const log = (line: string) => process.stdout.write(`${line}\n`);

/** tsc over main.ts, config/, constructs/, service/src/ and bench/ into bench/tmp/dist. */
async function compile(): Promise<void> {
  log('compiling with tsc -> bench/tmp/dist ...');
  fs.rmSync(DIST, { recursive: true, force: true });
  const child = spawnTracked(
    'tsc',
    process.execPath,
    [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'bench/tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxMs: 180_000,
    },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const code = await exited(child);
  // tsc emits despite type errors; `npm run typecheck` is where those are enforced. Say so, go on.
  if (code !== 0)
    log(
      `warning: tsc reported errors (code ${code}); measuring the emitted JavaScript anyway:\n${output.split('\n').slice(0, 10).join('\n')}`,
    );
  if (!fs.existsSync(path.join(BENCH_DIST, 'fanout/loadgen.js')))
    throw new Error(`tsc emitted no bench/tmp/dist/bench:\n${output}`);
}

async function fanoutSection(options: BenchOptions): Promise<FanoutRecord[]> {
  const records: FanoutRecord[] = [];
  let redis: RedisHandle | undefined;
  try {
    if (options.servers.some((s) => REDIS_KINDS.includes(s))) redis = await startRedis(15 * 60_000); // longer than any full run
    for (const n of options.subscribers) {
      const k = messagesFor(options, n);
      for (let round = 1; round <= options.repeat; round++) {
        // Servers back to back at the same N, so the ratios compare runs minutes apart at most.
        for (const server of options.servers) {
          const label = `fan-out N=${n} K=${k} ${SERVER_LABELS[server]} (${round}/${options.repeat})`;
          try {
            const r = await runFanout(server, fanoutRun(n, k), {
              benchDist: BENCH_DIST,
              ...(redis ? { redisUrl: redis.url } : {}),
              connectConcurrency: options.connectConcurrency,
            });
            records.push(r);
            const b = r.burst;
            log(
              `  ${label}: ${Math.round(b.deliveredPerSecond)}/s p50 ${Math.round(b.p50Ms)} ms p99 ${Math.round(b.p99Ms)} ms, ` +
                `${b.delivered}/${b.expected} delivered, heap ${(r.memory.heapPerConnection / 1024).toFixed(1)} KB/conn` +
                (b.errors.length ? `, errors: ${b.errors.slice(0, 2).join('; ')}` : ''),
            );
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            records.push({ server, subscribers: n, messages: k, error: message });
            log(`  ${label}: FAILED ${message.split('\n')[0]}`);
          }
        }
      }
    }
  } finally {
    await redis?.stop();
  }
  return records;
}

/** One fan-out run of N subscribers and a burst of K posts, with the time limits every run uses. */
const fanoutRun = (subscribers: number, messages: number) => ({
  subscribers,
  messages,
  connectTimeoutMs: 90_000,
  readyTimeoutMs: 60_000,
  burstTimeoutMs: 120_000,
  stallMs: 10_000,
});

function synthCases(): { cases: SynthCase[]; skipped: string[] } {
  const cases: SynthCase[] = [];
  const skipped: string[] = [];
  const out = (id: string) => path.join(TMP, 'synth', id);
  const mainJs = path.join(DIST, 'main.js');
  if (fs.existsSync(path.join(ROOT, 'main.ts'))) {
    // The path users run: the cdktf.json app, which `npm run synth` runs too and `cdktf synth` spawns.
    const app = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cdktf.json'), 'utf8')) as { app: string }).app;
    const [command, ...args] = app.split(/\s+/);
    cases.push({
      id: 'app',
      label: '(a) cdktf.json app (npm run synth)',
      commandLine: app,
      command: command === 'node' ? process.execPath : command,
      args,
      cwd: ROOT,
      env: { CDKTF_OUTDIR: out('app') },
      outDir: out('app'),
      expectOutput: 'cdk.tf.json',
    });
    cases.push({
      id: 'cli',
      label: '(b) cdktf synth (CLI)',
      commandLine: 'CHECKPOINT_DISABLE=1 npx cdktf synth',
      command: 'npx',
      // --output keeps the repo's cdktf.out (other people's) untouched; it does not change the work done.
      args: ['cdktf', 'synth', '--output', out('cli')],
      cwd: ROOT,
      env: { CHECKPOINT_DISABLE: '1', CI: '1' },
      outDir: out('cli'),
      expectOutput: 'cdk.tf.json',
    });
  } else {
    skipped.push('(a) and (b): main.ts does not exist yet');
  }
  if (fs.existsSync(mainJs)) {
    cases.push({
      id: 'compiled',
      label: '(a0) the app compiled by tsc (reference)',
      commandLine: 'node bench/tmp/dist/main.js',
      command: process.execPath,
      args: [mainJs],
      cwd: ROOT,
      env: { CDKTF_OUTDIR: out('compiled') },
      outDir: out('compiled'),
      expectOutput: 'cdk.tf.json',
    });
  }
  cases.push({
    id: 'peer',
    label: '(c) AWS CDK peer',
    commandLine: 'node bench/tmp/dist/bench/synth/aws-cdk-peer.js',
    command: process.execPath,
    args: [path.join(BENCH_DIST, 'synth/aws-cdk-peer.js')],
    cwd: ROOT,
    env: { CDK_OUTDIR: out('peer') },
    outDir: out('peer'),
    expectOutput: '.template.json',
  });
  return { cases, skipped };
}

/** Keeps the sections of an earlier results.json that this run did not measure. */
function readPrevious(file: string): BenchResults {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults;
  } catch {
    return {};
  }
}

const RESULTS_DOC = path.join(ROOT, 'docs', 'benchmarks.md');
const RESULTS_START = '<!-- bench:results:start -->';
const RESULTS_END = '<!-- bench:results:end -->';

/** Replaces the generated tables in docs/benchmarks.md, and nothing else. */
function updateResultsDoc(markdown: string): boolean {
  const text = fs.readFileSync(RESULTS_DOC, 'utf8');
  const start = text.indexOf(RESULTS_START);
  const end = text.indexOf(RESULTS_END);
  if (start < 0 || end < start) return false;
  fs.writeFileSync(RESULTS_DOC, `${text.slice(0, start + RESULTS_START.length)}\n${markdown}\n${text.slice(end)}`);
  return true;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env, ROOT);
  const started = Date.now();
  const resultsFile = path.join(options.outDir, 'results.json');
  let results: BenchResults = readPrevious(resultsFile);
  log(
    `bench: sections ${[...options.sections].join(', ')}${options.quick ? ' (quick)' : ''}; results -> ${path.relative(ROOT, options.outDir)}`,
  );
  await compile();

  if (options.sections.has('fanout')) {
    log(
      `fan-out: N = ${options.subscribers.join(', ')}; servers ${options.servers.join(', ')}; ${options.repeat} run(s) each`,
    );
    const machine = machineFacts();
    const runs = await fanoutSection(options);
    const summary = summarizeFanout(runs);
    results = {
      ...results,
      fanout: {
        machine,
        messagesPerBurst: Object.fromEntries(options.subscribers.map((n) => [String(n), messagesFor(options, n)])),
        repeat: options.repeat,
        summary,
        runs,
      },
      memory: { machine, rows: memoryRows(summary) },
    };
  }

  if (options.sections.has('storm')) {
    log(
      `reconnect storm: ${options.stormDrained} subscribers drained to the survivor, which has ${options.stormSurvivors} of its own; Redis; history on, then off`,
    );
    const machine = machineFacts();
    const redis = await startRedis(10 * 60_000);
    const runs: StormSection['runs'][number][] = [];
    try {
      for (const history of ['on', 'off'] as const) {
        try {
          const r = await runStorm(history, {
            benchDist: BENCH_DIST,
            redisUrl: redis.url,
            drained: options.stormDrained,
            survivors: options.stormSurvivors,
            connectConcurrency: options.connectConcurrency,
          });
          runs.push(r);
          log(
            `  history ${history}: ${r.caughtUp}/${r.drained} caught up, last at ${Math.round(r.lastCaughtUpMs)} ms; ` +
              `lost ${r.lost}, duplicated ${r.duplicated}, posts refused ${r.publishFailed}, reconnects failed ${r.reconnectFailures}; recovered ${r.recovered}, replayed ${r.replayed}; ` +
              `survivor p99 ${Math.round(r.survivorBaseline.p99Ms)} ms before, ${Math.round(r.survivorStorm.p99Ms)} ms during` +
              (r.errors.length ? `; errors: ${r.errors.slice(0, 2).join('; ')}` : ''),
          );
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          runs.push({ history, error: message });
          log(`  history ${history}: FAILED ${message.split('\n')[0]}`);
        }
      }
    } finally {
      await redis.stop();
    }
    results = { ...results, storm: { machine, runs } };
  }

  if (options.sections.has('synth')) {
    const { cases, skipped } = synthCases();
    log(
      `synthesis: ${cases.map((c) => c.label).join(', ')}; 1 warm-up + ${options.synthRuns} runs${skipped.length ? `; skipped ${skipped.join('; ')}` : ''}`,
    );
    const machine = machineFacts();
    const synth = await runSynth(cases, options.synthRuns, log);
    const byId = (id: string) => synth.find((r) => r.id === id)?.medianMs;
    const peer = byId('peer');
    const over = (id: string) => (peer && byId(id) !== undefined ? (byId(id) as number) / peer : null);
    results = {
      ...results,
      synth: {
        machine,
        runs: options.synthRuns,
        results: synth,
        appOverPeer: over('app'),
        cliOverPeer: over('cli'),
        skipped,
      },
    };
  }

  if (options.sections.has('profile') && options.servers.includes('ours')) {
    const n = options.profileSubscribers;
    const k = messagesFor(options, n);
    const dir = path.join(TMP, 'profiles');
    fs.rmSync(dir, { recursive: true, force: true });
    const machine = machineFacts();
    /** One more run of `kind` under node --cpu-prof; the server's and load generator's profiles over the burst. */
    const profiled = async (kind: ServerKind) => {
      log(`profile: ${SERVER_LABELS[kind]} at N=${n}, K=${k}, node --cpu-prof -> ${path.relative(ROOT, dir)}`);
      const r = await runFanout(kind, fanoutRun(n, k), {
        benchDist: BENCH_DIST,
        connectConcurrency: options.connectConcurrency,
        cpuProfileDir: dir,
      });
      const file = path.join(dir, `${kind}-${n}.cpuprofile`);
      const loadgenFile = path.join(dir, `loadgen-${kind}-${n}.cpuprofile`);
      const burst = summarizeProfile(file, r.clock.burstStart, r.clock.burstEnd);
      const loadgenBurst = fs.existsSync(loadgenFile)
        ? summarizeProfile(loadgenFile, r.clock.burstStart, r.clock.burstEnd)
        : null;
      log(
        `  burst window ${burst.windowMs} ms, idle ${burst.idlePct}%, GC ${burst.gcPct}%${loadgenBurst ? `; load generator JS idle ${loadgenBurst.idlePct}%` : ''}; top self time:`,
      );
      for (const f of burst.topFunctions.slice(0, 15))
        log(`    ${f.selfPct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}`);
      log('  by package:');
      for (const f of burst.byPackage.slice(0, 10)) log(`    ${f.selfPct.toFixed(1).padStart(5)}%  ${f.name}`);
      return { r, file, burst, loadgenBurst };
    };
    try {
      const ours = await profiled('ours');
      let floorBurst: ProfileSummary | null = null;
      if (options.servers.includes('raw-batched')) {
        try {
          floorBurst = (await profiled('raw-batched')).burst;
        } catch (error) {
          log(`  profile of (a2) FAILED: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      results = {
        ...results,
        profile: {
          machine,
          server: 'ours',
          subscribers: n,
          messages: k,
          burst: ours.burst,
          setup: summarizeProfile(ours.file, ours.r.clock.start, ours.r.clock.ready),
          loadgenBurst: ours.loadgenBurst,
          floor: floorBurst ? { server: 'raw-batched', burst: floorBurst } : null,
        },
      };
    } catch (error) {
      log(`  profile FAILED: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  fs.mkdirSync(options.outDir, { recursive: true });
  fs.writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(path.join(options.outDir, 'bench.svg'), renderPlot(results));
  const list = tables(results);
  const measured = [
    results.fanout
      ? `Fan-out, memory and profile measured ${results.fanout.machine.date.slice(0, 16).replace('T', ' ')} UTC on ${machineLine(results.fanout.machine)}.`
      : '',
    results.storm
      ? `Reconnect storm measured ${results.storm.machine.date.slice(0, 16).replace('T', ' ')} UTC on ${machineLine(results.storm.machine)}.`
      : '',
    results.synth
      ? `Synthesis measured ${results.synth.machine.date.slice(0, 16).replace('T', ' ')} UTC on ${machineLine(results.synth.machine)}.`
      : '',
  ].filter(Boolean);
  const markdown = `${measured.join('\n')}\n\n${renderMarkdown(list)}`;
  fs.writeFileSync(path.join(options.outDir, 'results.md'), `${markdown}\n`);
  log(`\n${renderText(list)}\n`);
  // Only a run that writes the committed results may touch the docs.
  if (options.outDir === path.join(ROOT, 'bench/results') && updateResultsDoc(markdown))
    log(`${path.relative(ROOT, RESULTS_DOC)} bench tables updated`);
  log(
    `wrote ${path.relative(ROOT, resultsFile)}, bench.svg, results.md in ${Math.round((Date.now() - started) / 1000)} s`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof OptionError) process.stderr.write(`bench: ${error.message}\n`);
  else process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
