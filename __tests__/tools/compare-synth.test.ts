/** scripts/compare-synth.js, the verdict of the cdktn check: only provider pins and toolkit versions may differ. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.join(__dirname, '../../scripts/compare-synth.js');

function outdir(root: string, name: string, doc: unknown): string {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, 'stacks/staging'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'stacks/staging/cdk.tf.json'), JSON.stringify(doc));
  return dir;
}

const doc = (source: string, version: string, toolkit: string, idle: number) => ({
  '//': { metadata: { version: toolkit } },
  terraform: { required_providers: { aws: { source, version } } },
  resource: { aws_lb: { lb: { idle_timeout: idle } } },
});

test('identical apart from the pin, the toolkit version and the source shorthand: exit 0', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-synth-'));
  const a = outdir(root, 'a', doc('aws', '6.25.0', '0.21.0', 120));
  const b = outdir(root, 'b', doc('hashicorp/aws', '6.30.0', '0.24.0', 120));
  const run = spawnSync('node', [SCRIPT, a, b], { encoding: 'utf8' });
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(
    'staging: identical apart from the provider pin (cdktf 0.21.0: hashicorp/aws 6.25.0; cdktn 0.24.0: hashicorp/aws 6.30.0)',
  );
  fs.rmSync(root, { recursive: true, force: true });
});

test('any other difference: exit 1, naming the stack', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-synth-'));
  const a = outdir(root, 'a', doc('aws', '6.25.0', '0.21.0', 120));
  const b = outdir(root, 'b', doc('aws', '6.25.0', '0.24.0', 60));
  const run = spawnSync('node', [SCRIPT, a, b], { encoding: 'utf8' });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('staging: differs beyond the provider pin');
  fs.rmSync(root, { recursive: true, force: true });
});
