/**
 * The stacks the policy and hand-off commands read (tools/stacks.ts): those of one synthesis, not every
 * folder of cdktf.out, where another app (examples/basic writes `stacks/chat`) may have left its own.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS } from '../../../config/environments';
import { STATE_BOOTSTRAP_STACK } from '../../../main';
import { loadStacks } from '../../../tools/stacks';

describe('loadStacks', () => {
  let outdir: string;
  const defaults = [...Object.keys(ENVIRONMENTS), STATE_BOOTSTRAP_STACK].sort();
  const names = (stacks: readonly { name: string }[]) => stacks.map((s) => s.name);

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-stacks-'));
    // Another app's stack, synthesized into the same folder earlier.
    fs.mkdirSync(path.join(outdir, 'stacks', 'chat'), { recursive: true });
    fs.writeFileSync(path.join(outdir, 'stacks', 'chat', 'cdk.tf.json'), '{"resource":{}}\n');
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test("synthesizing reads the default app's stacks only", () => {
    expect(names(loadStacks({ outdir }))).toEqual(defaults);
  });

  test('without synthesis: the stacks of the last one (manifest.json), or a stack named explicitly', () => {
    expect(names(loadStacks({ outdir, synth: false }))).toEqual(defaults);
    expect(names(loadStacks({ outdir, synth: false, only: ['chat'] }))).toEqual(['chat']);
    expect(() => loadStacks({ outdir, synth: false, only: ['nope'] })).toThrow(
      `stack 'nope' not found: no ${path.join(outdir, 'stacks', 'nope', 'cdk.tf.json')} (stacks: ${defaults.join(', ')})`,
    );
  });

  test('without synthesis and without a manifest: every stack folder', () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'load-stacks-bare-'));
    try {
      for (const name of ['b', 'a']) {
        fs.mkdirSync(path.join(bare, 'stacks', name), { recursive: true });
        fs.writeFileSync(path.join(bare, 'stacks', name, 'cdk.tf.json'), '{}\n');
      }
      expect(names(loadStacks({ outdir: bare, synth: false }))).toEqual(['a', 'b']);
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
  });
});
