/**
 * The cdktf app: the `state-bootstrap` stack (the bucket of the S3 state backends) and one stack per
 * environment in config/environments.ts, written to `cdktf.out/stacks/<stack>/cdk.tf.json` (or
 * $CDKTF_OUTDIR when the cdktf CLI runs it).
 *
 * Synthesis goes to a scratch directory first and is copied into place only when every stack succeeded,
 * so a bad config writes nothing (and leaves the last good output as it was).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { ENVIRONMENTS, type EnvironmentConfig, STATE_BUCKET } from './config/environments';
import { StateBootstrapStack, type StateBootstrapStackProps } from './constructs/state-bootstrap-stack';
import { ConfigError, fail } from './constructs/validation';
import { WebSocketGraphqlStack } from './constructs/websocket-graphql-stack';

/** Name of the stack that creates the state bucket (when the app has one). */
export const STATE_BOOTSTRAP_STACK = 'state-bootstrap';

/**
 * Synthesizes `environments` into `outdir`, after the `state-bootstrap` stack when `stateBucket` is given;
 * returns the stack names. Throws, writing nothing, on bad input.
 */
export function synthesize(
  environments: Readonly<Record<string, EnvironmentConfig>>,
  outdir: string,
  stateBucket?: StateBootstrapStackProps,
): string[] {
  const names = Object.keys(environments);
  if (stateBucket !== undefined && names.includes(STATE_BOOTSTRAP_STACK)) {
    fail(
      'app',
      'environments',
      STATE_BOOTSTRAP_STACK,
      `must not use "${STATE_BOOTSTRAP_STACK}", the stack that creates the state bucket`,
    );
  }
  if (names.length === 0) fail('app', 'environments', '{}', 'must define at least one environment');
  for (const name of names) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) {
      fail(
        'app',
        'environments',
        name,
        'keys must be 1..32 lower-case letters, digits or hyphens, starting with a letter (they name the stacks)',
      );
    }
  }

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-synth-'));
  try {
    // No stack traces in the metadata: they hold absolute paths and would make the output machine-specific.
    const app = new App({ outdir: scratch, stackTraces: false });
    if (stateBucket !== undefined) new StateBootstrapStack(app, STATE_BOOTSTRAP_STACK, stateBucket);
    for (const name of names) {
      new WebSocketGraphqlStack(app, name, environments[name]);
    }
    app.synth();
    fs.mkdirSync(outdir, { recursive: true });
    // Copy over, not replace: a stack directory may hold `.terraform/` from an earlier `terraform init`.
    fs.cpSync(scratch, outdir, { recursive: true, force: true });
    return stateBucket !== undefined ? [STATE_BOOTSTRAP_STACK, ...names] : names;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export function main(): void {
  const outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out';
  try {
    const names = synthesize(ENVIRONMENTS, outdir, STATE_BUCKET);
    for (const name of names) {
      process.stdout.write(`${path.join(outdir, 'stacks', name, 'cdk.tf.json')}\n`);
    }
  } catch (error) {
    // A config mistake is the user's to fix: print the message, not a stack trace.
    const message =
      error instanceof ConfigError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`synth failed, nothing written: ${message}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main();
}
