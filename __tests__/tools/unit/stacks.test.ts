/**
 * The stacks the policy and hand-off commands read (tools/stacks.ts): the default app's, not every folder of
 * cdktf.out, where another app (examples/basic writes `stacks/chat` and its own manifest.json) may have left
 * its own, even when that app was synthesized last.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS } from '../../../config/environments';
import { STATE_BOOTSTRAP_STACK } from '../../../main';
import { defaultStackNames, loadStacks } from '../../../tools/stacks';

describe('loadStacks', () => {
  let outdir: string;
  const names = (stacks: readonly { name: string }[]) => stacks.map((s) => s.name);

  /** Another app's synthesis into the same folder: its stack and a manifest that lists only it. */
  const otherAppSynthesized = () => {
    fs.mkdirSync(path.join(outdir, 'stacks', 'chat'), { recursive: true });
    fs.writeFileSync(path.join(outdir, 'stacks', 'chat', 'cdk.tf.json'), '{"resource":{}}\n');
    fs.writeFileSync(path.join(outdir, 'manifest.json'), '{"version":"0.21.0","stacks":{"chat":{}}}\n');
  };

  beforeEach(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-stacks-'));
  });
  afterEach(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test("the default app's stacks: the state-bootstrap stack and one per environment", () => {
    expect(defaultStackNames()).toEqual([STATE_BOOTSTRAP_STACK, ...Object.keys(ENVIRONMENTS)].sort());
    expect(defaultStackNames().length).toBeGreaterThan(2);
  });

  test("synthesizing reads the default app's stacks only", () => {
    otherAppSynthesized();
    expect(names(loadStacks({ outdir }))).toEqual(defaultStackNames());
  });

  test("without synthesis: the default app's stacks, also when another app was synthesized last", () => {
    loadStacks({ outdir });
    otherAppSynthesized();
    expect(names(loadStacks({ outdir, synth: false }))).toEqual(defaultStackNames());
    expect(names(loadStacks({ outdir, synth: false, only: ['chat'] }))).toEqual(['chat']);
  });

  test('a missing stack is named, with what to do', () => {
    const missing = (name: string) => path.join(outdir, 'stacks', name, 'cdk.tf.json');
    expect(() => loadStacks({ outdir, synth: false })).toThrow(
      `stack '${defaultStackNames()[0]}' not found: no ${missing(defaultStackNames()[0]!)} ` +
        '(synthesize it first (`npm run synth`), or run without --no-synth)',
    );
    expect(() => loadStacks({ outdir, only: ['nope'] })).toThrow(
      `stack 'nope' not found: no ${missing('nope')} (the app's stacks: ${defaultStackNames().join(', ')})`,
    );
  });
});
