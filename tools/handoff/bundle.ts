/**
 * `npm run handoff -- [stack...] [--out <dir>] [--no-synth]`: writes per stack a folder a platform team can
 * take without Node: `json/cdk.tf.json`, `hcl/main.tf` (the same configuration in HCL), `policy.json`, a
 * generated `README.md` and `SHA256SUMS`. The JSON and HCL sit in separate folders because Terraform loads
 * every `*.tf` and `*.tf.json` of a directory: together they would declare everything twice.
 *
 * Deterministic: the same app gives the same bytes (no timestamps, sorted listings).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STATE_BOOTSTRAP_STACK } from '../../main';
import { jsonToHcl, type BlockSchema } from '../hcl/json-to-hcl';
import { toJson } from '../policy/report';
import { checkStacks } from '../policy/run';
import { loadStacks, type SynthesizedStack } from '../stacks';
import { bundleReadme } from './readme';

export const BLOCK_SCHEMA: BlockSchema = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../hcl/aws-blocks.json'), 'utf8'),
) as BlockSchema;

/** `sha256sum` format: `<hex>  <path>`, sorted by path. */
export function sha256sums(files: ReadonlyMap<string, string>): string {
  return [...files]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, content]) => `${createHash('sha256').update(content).digest('hex')}  ${name}\n`)
    .join('');
}

/** The files of each stack's bundle (relative path → content). */
export function buildBundles(stacks: readonly SynthesizedStack[]): Map<string, Map<string, string>> {
  // Paths in the bundle are the bundle's own, whatever directory the stacks were synthesized into.
  const { reports, models } = checkStacks(stacks.map((s) => ({ ...s, file: 'json/cdk.tf.json' })));
  const bundles = new Map<string, Map<string, string>>();
  stacks.forEach((stack, i) => {
    const report = reports[i];
    const model = models[i];
    if (report === undefined || model === undefined) throw new Error(`no policy result for ${stack.name}`);
    const files = new Map<string, string>();
    files.set('json/cdk.tf.json', stack.text.endsWith('\n') ? stack.text : `${stack.text}\n`);
    files.set('hcl/main.tf', jsonToHcl(stack.doc, BLOCK_SCHEMA));
    files.set('policy.json', `${JSON.stringify(toJson([report]), null, 2)}\n`);
    const listed = [...files.keys(), 'README.md'].sort();
    files.set(
      'README.md',
      bundleReadme({
        stack: stack.name,
        kind: stack.name === STATE_BOOTSTRAP_STACK ? 'state-bootstrap' : 'service',
        doc: stack.doc as Record<string, unknown>,
        model,
        policy: report,
        files: listed,
      }),
    );
    files.set('SHA256SUMS', sha256sums(files));
    bundles.set(stack.name, files);
  });
  return bundles;
}

/** Writes the bundles under `outdir/<stack>/`, replacing what an earlier run left there. */
export function writeBundles(bundles: ReadonlyMap<string, ReadonlyMap<string, string>>, outdir: string): string[] {
  const written: string[] = [];
  for (const [stack, files] of bundles) {
    const dir = path.join(outdir, stack);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [name, content] of files) {
      const file = path.join(dir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    written.push(dir);
  }
  return written;
}

function main(): number {
  const argv = process.argv.slice(2);
  let outdir = 'handoff';
  let synth = true;
  const only: string[] = [];
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i] as string;
      if (a === '--out') {
        const v = argv[++i];
        if (v === undefined) throw new Error('--out needs a directory');
        outdir = v;
      } else if (a === '--no-synth') synth = false;
      else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
      else only.push(a);
    }
    const bundles = buildBundles(loadStacks({ synth, only }));
    for (const dir of writeBundles(bundles, outdir)) process.stdout.write(`${dir}/\n`);
    const failing = [...bundles.keys()].filter((s) => {
      const policy = JSON.parse(bundles.get(s)?.get('policy.json') ?? '{}') as { stacks?: { failures: number }[] };
      return (policy.stacks?.[0]?.failures ?? 0) > 0;
    });
    if (failing.length > 0)
      process.stderr.write(`handoff: policy failures in ${failing.join(', ')} (see their README.md)\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`handoff: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

if (require.main === module) {
  process.exitCode = main();
}
