/**
 * The synthesized stacks the policy and hand-off commands read: `cdktf.out/stacks/<stack>/cdk.tf.json`.
 * Synthesizes the default app first (in this process: no second Node start) unless told not to: the same
 * stacks as `npm run synth`, the `state-bootstrap` stack included. Only the stacks of one synthesis are read:
 * another app synthesized into the same folder (examples/basic writes `stacks/chat`) leaves its stack there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENTS, STATE_BUCKET } from '../config/environments';
import { synthesize } from '../main';

export interface SynthesizedStack {
  readonly name: string;
  /** Path of cdk.tf.json relative to the working directory, with forward slashes. */
  readonly file: string;
  readonly text: string;
  readonly doc: unknown;
}

/**
 * The stacks of the last synthesis into `outdir`, as its `manifest.json` lists them (cdktf writes one per
 * synthesis); without a manifest, every stack directory.
 */
function lastSynthesized(outdir: string): string[] {
  const manifest = path.join(outdir, 'manifest.json');
  if (fs.existsSync(manifest)) {
    const stacks = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { stacks?: Record<string, unknown> }).stacks;
    return Object.keys(stacks ?? {}).sort();
  }
  const stacksDir = path.join(outdir, 'stacks');
  return fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort() : [];
}

/**
 * Returns the stacks of `outdir` (all those of its last synthesis, or those named), synthesizing the default
 * app into it first unless `synth` is false. Throws naming the stack when one is missing.
 */
export function loadStacks(
  options: { outdir?: string; synth?: boolean; only?: readonly string[] } = {},
): SynthesizedStack[] {
  const outdir = options.outdir ?? 'cdktf.out';
  const stacksDir = path.join(outdir, 'stacks');
  const available =
    options.synth !== false ? synthesize(ENVIRONMENTS, outdir, STATE_BUCKET).sort() : lastSynthesized(outdir);
  const names = options.only !== undefined && options.only.length > 0 ? [...options.only] : available;
  if (names.length === 0) throw new Error(`no stacks in ${stacksDir}: run without --no-synth to synthesize them`);
  return names.map((name) => {
    const file = path.join(stacksDir, name, 'cdk.tf.json');
    if (!fs.existsSync(file)) {
      throw new Error(`stack '${name}' not found: no ${file} (stacks: ${available.join(', ') || 'none'})`);
    }
    const text = fs.readFileSync(file, 'utf8');
    return {
      name,
      file: path.relative(process.cwd(), path.resolve(file)).split(path.sep).join('/'),
      text,
      doc: JSON.parse(text),
    };
  });
}
