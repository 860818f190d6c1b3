/**
 * `npm run plan -- <env>... | --all [--offline] [--allow-destroy] [--no-synth] [--var k=v]... [--out dir]`
 * `npm run plan -- --show-json <stack>=<file>...` summarizes saved `terraform show -json` output instead.
 *
 * Synthesizes, then per stack: `terraform init`, `plan -out`, `show -json`, and writes `plan.json`,
 * `summary.json` and `summary.md` to `<out>/<stack>/` (default `cdktf.out/plan`). Against AWS with the
 * caller's credentials and the stack's backend; `--offline` plans with the offline machinery (no state, no
 * credentials). Exit code: 0 no changes, 1 error, 2 changes, 3 a stateful resource replaced or destroyed
 * without --allow-destroy.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Stacks from '../stacks';
import type * as Terraform from '../terraform';
import { findTerraform } from '../terraform/toolchain';
import { EXIT, exitCode, renderMarkdown, type ShowPlanJson, summarizePlan, type PlanSummary } from './summary';

interface Options {
  stacks: string[];
  all: boolean;
  offline: boolean;
  allowDestroy: boolean;
  synth: boolean;
  vars: string[];
  out: string;
  showJson: Array<{ stack: string; file: string }>;
}

export function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    stacks: [],
    all: false,
    offline: false,
    allowDestroy: false,
    synth: true,
    vars: [],
    out: path.join('cdktf.out', 'plan'),
    showJson: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--all') o.all = true;
    else if (a === '--offline') o.offline = true;
    else if (a === '--allow-destroy') o.allowDestroy = true;
    else if (a === '--no-synth') o.synth = false;
    else if (a === '--var') o.vars.push(value());
    else if (a === '--out') o.out = value();
    else if (a === '--show-json') {
      const [stack, file] = value().split(/=(.*)/s);
      if (!stack || !file) throw new Error(`--show-json takes <stack>=<file>, got '${argv[i]}'`);
      o.showJson.push({ stack, file });
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else o.stacks.push(a);
  }
  if (o.showJson.length === 0 && !o.all && o.stacks.length === 0) {
    throw new Error('name the environments to plan (npm run plan -- staging) or pass --all');
  }
  return o;
}

function terraformIn(cwd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const { terraform } = findTerraform();
  const r = spawnSync(terraform, args, {
    cwd,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 512 << 20,
  });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.error?.message ?? '' };
}

/** Plans one synthesized stack directory against AWS and returns `terraform show -json` of the plan. */
function realPlan(dir: string, vars: readonly string[]): ShowPlanJson {
  const step = (args: string[]) => {
    const r = terraformIn(dir, args);
    // plan -detailed-exitcode: 2 means changes, not failure.
    if (r.code !== 0 && !(args[0] === 'plan' && r.code === 2)) {
      throw new Error(`terraform ${args[0]} failed in ${dir} (exit ${r.code})${r.stderr ? `: ${r.stderr}` : ''}`);
    }
    return r.stdout;
  };
  step(['init', '-input=false', '-no-color']);
  step([
    'plan',
    '-input=false',
    '-no-color',
    '-detailed-exitcode',
    '-out=plan.tfplan',
    ...vars.flatMap((v) => ['-var', v]),
  ]);
  return JSON.parse(step(['show', '-json', 'plan.tfplan'])) as ShowPlanJson;
}

function write(out: string, summary: PlanSummary, plan: ShowPlanJson): void {
  const dir = path.join(out, summary.stack);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'plan.json'), `${JSON.stringify(plan)}\n`);
  fs.writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'summary.md'), renderMarkdown(summary));
}

export async function main(argv: readonly string[]): Promise<number> {
  const o = parseArgs(argv);
  const plans: Array<{ stack: string; plan: ShowPlanJson; stackJson?: unknown }> = [];
  if (o.showJson.length > 0) {
    for (const { stack, file } of o.showJson) {
      plans.push({ stack, plan: JSON.parse(fs.readFileSync(file, 'utf8')) as ShowPlanJson });
    }
  } else {
    // Lazy requires: synthesis loads cdktf and the constructs (about a second through ts-node), which saved
    // plans (--show-json) and bad options do not need.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadStacks } = require('../stacks') as typeof Stacks;
    const stacks = loadStacks({ synth: o.synth, ...(o.all ? {} : { only: o.stacks }) });
    if (o.offline) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { formatDiagnostics, offlinePlan } = require('../terraform') as typeof Terraform;
      const byName = Object.fromEntries(stacks.map((s) => [s.name, s.doc as Terraform.StackJson]));
      const result = await offlinePlan(byName);
      for (const s of result.stacks) {
        if (!s.plan) throw new Error(`offline plan of ${s.stack} failed:\n${formatDiagnostics(s.diagnostics)}`);
        // A plan of `terraform test -verbose` also carries the provider schemas (13.6 MB): plan.json is
        // documented as `terraform show -json` output, which has none.
        const { provider_schemas: _schemas, ...plan } = s.plan;
        plans.push({ stack: s.stack, plan: plan as ShowPlanJson, stackJson: byName[s.stack] });
      }
    } else {
      for (const s of stacks) {
        plans.push({ stack: s.name, plan: realPlan(path.dirname(s.file), o.vars), stackJson: s.doc });
      }
    }
  }
  const summaries = plans.map(({ stack, plan, stackJson }) => {
    const summary = summarizePlan(stack, plan, stackJson);
    write(o.out, summary, plan);
    process.stdout.write(`${renderMarkdown(summary)}\n`);
    return summary;
  });
  const code = exitCode(summaries, o.allowDestroy);
  if (code === EXIT.destructive) {
    process.stderr.write(
      `refusing: stateful resources replaced or destroyed (${summaries.flatMap((s) => s.destructive).join(', ')}); ` +
        'pass --allow-destroy after review\n',
    );
  }
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`plan: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = EXIT.error;
    },
  );
}
