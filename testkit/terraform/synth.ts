/**
 * Synthesizes environments (the app's config, or a variant) into a scratch directory and reads the stacks
 * back: the JSON exactly as `npm run synth` writes it, without touching the project's cdktf.out.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type EnvironmentConfig } from '../../config/environments';
import { synthesize } from '../../main';
import { type StackJson } from '../../tools/terraform/stack-json';

/** Stack JSON by stack name. */
export function synthesizeStacks(environments: Readonly<Record<string, EnvironmentConfig>>): Record<string, StackJson> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'offline-plan-synth-'));
  try {
    const names = synthesize(environments, outdir);
    return Object.fromEntries(
      names.map((name) => [
        name,
        JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')) as StackJson,
      ]),
    );
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
