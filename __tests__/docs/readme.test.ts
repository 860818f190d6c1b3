/**
 * The README's promises: its first lines are the two commands that work on a fresh clone (the second is how
 * CI starts), and its usage example is examples/basic/main.ts, which synthesizes.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { codeBlocks, readDoc, ROOT, section } from './markdown';

const run = promisify(execFile);
const readme = readDoc('README.md');
const EXAMPLE = 'examples/basic/main.ts';

describe('README.md', () => {
  test('opens with the synth command and the test command that CI runs', () => {
    const [first] = codeBlocks(readme);
    expect(readme.indexOf('```')).toBeLessThan(readme.indexOf('\n## '));
    const commands = first.code.split('\n').map((l) => l.replace(/#.*/, '').trim());
    expect(commands).toContain('npm ci && npm run synth');
    expect(commands).toContain('npm run setup && npm ci && npm test');
    const setup = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.setup;
    expect(setup).toBe('bash scripts/setup-system.sh');
  });

  test("CI (.ci/run) starts with the README's test command, and documents every step it adds", () => {
    // The commands .ci/run runs, without shell setup (set, cd, export) and comments.
    const ci = fs
      .readFileSync(path.join(ROOT, '.ci/run'), 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== '' && !/^(set|cd|export)\b/.test(l));
    // `npm run setup && npm ci && npm test`, in that order, first.
    expect(ci.slice(0, 3)).toEqual([
      expect.stringMatching(/^bash scripts\/setup-system\.sh$/),
      expect.stringMatching(/^npm ci\b/),
      'npm test',
    ]);
    // Anything after is a script of the project that the manual describes, so the README's "whole test
    // suite" plus the steps the docs name is what CI runs.
    const extra = ci.slice(3);
    const manual = fs
      .readdirSync(path.join(ROOT, 'docs'))
      .map((f) => readDoc(path.join('docs', f)))
      .join('\n');
    for (const step of extra) {
      const [, script] = /^bash (scripts\/[\w.-]+\.sh)$/.exec(step) ?? [];
      expect({ step, script }).toEqual({ step, script: expect.any(String) });
      expect(fs.existsSync(path.join(ROOT, script as string))).toBe(true);
      expect({ step, documented: manual.includes(script as string) }).toEqual({ step, documented: true });
    }
  });

  test(`the usage example is ${EXAMPLE}, byte for byte`, () => {
    const blocks = codeBlocks(section(readme, 'Usage')).filter((b) => b.lang === 'ts');
    expect(blocks).toHaveLength(1);
    expect(blocks[0].code).toBe(fs.readFileSync(path.join(ROOT, EXAMPLE), 'utf8'));
  });

  test(`${EXAMPLE} synthesizes a stack with the service it describes`, async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'example-basic-'));
    try {
      await run('node', ['-r', 'ts-node/register/transpile-only', EXAMPLE], {
        cwd: ROOT,
        env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1' },
        timeout: 60_000,
      });
      const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'chat', 'cdk.tf.json'), 'utf8'));
      expect(json.output.wss_url.value).toBe('wss://chat.example.com/graphql');
      expect(Object.values(json.resource.aws_lb).map((lb) => (lb as { idle_timeout: number }).idle_timeout)).toEqual([
        300,
      ]);
      const records = Object.values(json.resource.aws_route53_record) as { name: string; type: string }[];
      expect(
        records
          .filter((r) => r.name === 'chat.example.com')
          .map((r) => r.type)
          .sort(),
      ).toEqual(['A', 'AAAA']);
      expect(Object.values(json.resource.aws_appautoscaling_target)).toMatchObject([
        { min_capacity: 2, max_capacity: 6 },
      ]);
      expect(Object.keys(json.resource.aws_ecs_service)).toHaveLength(1);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }, 90_000);
});
