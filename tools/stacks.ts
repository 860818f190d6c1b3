/**
 * The synthesized stacks the policy and hand-off commands read: `cdktf.out/stacks/<stack>/cdk.tf.json`.
 * Synthesizes the default app first (in this process: no second Node start) unless told not to: the same
 * stacks as `npm run synth`, the `state-bootstrap` stack included. Only the default app's stacks are read
 * unless others are named: another app synthesized into the same folder (examples/basic writes
 * `stacks/chat`, and its own manifest.json) leaves its stack there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENTS, STATE_BUCKET } from '../config/environments';
import { STATE_BOOTSTRAP_STACK, synthesize } from '../main';

export interface SynthesizedStack {
  readonly name: string;
  /** Path of cdk.tf.json relative to the working directory, with forward slashes. */
  readonly file: string;
  readonly text: string;
  readonly doc: unknown;
}

/** The stacks of the default app, as `npm run synth` writes them. */
export function defaultStackNames(): string[] {
  return [STATE_BOOTSTRAP_STACK, ...Object.keys(ENVIRONMENTS)].sort();
}

/**
 * Returns the stacks of `outdir` (the default app's, or those named), synthesizing the default app into it
 * first unless `synth` is false. Throws naming the stack when one is missing.
 */
export function loadStacks(
  options: { outdir?: string; synth?: boolean; only?: readonly string[] } = {},
): SynthesizedStack[] {
  const outdir = options.outdir ?? 'cdktf.out';
  const stacksDir = path.join(outdir, 'stacks');
  if (options.synth !== false) synthesize(ENVIRONMENTS, outdir, STATE_BUCKET);
  const names = options.only !== undefined && options.only.length > 0 ? [...options.only] : defaultStackNames();
  const hint =
    options.synth === false
      ? 'synthesize it first (`npm run synth`), or run without --no-synth'
      : `the app's stacks: ${defaultStackNames().join(', ')}`;
  return names.map((name) => {
    const file = path.join(stacksDir, name, 'cdk.tf.json');
    if (!fs.existsSync(file)) throw new Error(`stack '${name}' not found: no ${file} (${hint})`);
    const text = fs.readFileSync(file, 'utf8');
    return {
      name,
      file: path.relative(process.cwd(), path.resolve(file)).split(path.sep).join('/'),
      text,
      doc: JSON.parse(text),
    };
  });
}
