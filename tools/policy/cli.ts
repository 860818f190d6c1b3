/**
 * `npm run policy -- [stack...] [--plan <plan.json> --stack <env>] [--no-synth] [--json <file>] [--sarif <file>]`
 *
 * Synthesizes the default app, checks every stack (or the ones named) and prints a table. With --plan, checks
 * that plan JSON instead (`terraform show -json <planfile>`) with the waivers of --stack, whose synthesized
 * stack gives the plan's resources their construct paths. Exit code 0 when every failure is waived, 1 when one
 * is not, 2 on bad input (unknown stack, invalid waiver, unreadable file).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadStacks } from '../stacks';
import type { StackReport } from './evaluate';
import { formatTable, toJson, toSarif } from './report';
import { checkPlan, checkStacks } from './run';

interface Args {
  stacks: string[];
  plan?: string;
  planStack?: string;
  synth: boolean;
  json?: string;
  sarif?: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { stacks: [], synth: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--plan') args.plan = value();
    else if (a === '--stack') args.planStack = value();
    else if (a === '--json') args.json = value();
    else if (a === '--sarif') args.sarif = value();
    else if (a === '--no-synth') args.synth = false;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else args.stacks.push(a);
  }
  if (args.plan !== undefined && args.planStack === undefined) {
    throw new Error('--plan needs --stack <environment> (whose waivers apply)');
  }
  return args;
}

function write(file: string, data: unknown): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

function main(): number {
  let reports: StackReport[];
  const lineMaps = new Map<string, ReadonlyMap<string, number>>();
  try {
    const args = parseArgs(process.argv.slice(2));
    if (args.plan !== undefined) {
      // The stack the plan was made from gives its resources their construct paths (waivers name those).
      const [synthesized] = loadStacks({ synth: args.synth, only: [args.planStack as string] });
      reports = [checkPlan(args.plan, args.planStack as string, synthesized)];
    } else {
      const result = checkStacks(loadStacks({ synth: args.synth, only: args.stacks }));
      reports = result.reports;
      for (const m of result.models) lineMaps.set(m.file, m.lines);
    }
    process.stdout.write(formatTable(reports));
    if (args.json !== undefined) write(args.json, toJson(reports));
    if (args.sarif !== undefined)
      write(
        args.sarif,
        toSarif(reports, (f, a) => lineMaps.get(f)?.get(a)),
      );
  } catch (error) {
    process.stderr.write(`policy: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const failures = reports.reduce((n, r) => n + r.failures, 0);
  process.stdout.write(failures === 0 ? 'policy: passed\n' : `policy: ${failures} failure(s) not waived\n`);
  return failures === 0 ? 0 : 1;
}

if (require.main === module) {
  process.exitCode = main();
}
