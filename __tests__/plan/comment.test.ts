/** The pull-request comment of the plan review: one marker to find it by, a headline per stack, a size limit. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { COMMENT_MARKER, commentBody, MAX_COMMENT, readSummaries } from '../../tools/plan/comment';
import { renderMarkdown, summarizePlan, type ShowPlanJson } from '../../tools/plan/summary';

/** Plans in `terraform show -json` shape, reduced to what the summary reads (real ones: summary.test.ts). */
const change = (address: string, actions: string[], before: unknown, after: unknown) => ({
  address,
  mode: 'managed',
  type: address.split('.')[0],
  change: { actions, before, after, after_unknown: {} },
});
const PLANS: Record<string, ShowPlanJson> = {
  production: { resource_changes: [change('aws_ecr_repository.Images', ['delete'], { name: 'x' }, null)] },
  staging: {
    resource_changes: [
      change('aws_cloudwatch_log_group.Logs', ['update'], { retention_in_days: 7 }, { retention_in_days: 14 }),
    ],
  },
};
const stacks = Object.entries(PLANS).map(([name, plan]) => {
  const summary = summarizePlan(name, plan);
  return { summary, markdown: renderMarkdown(summary) };
});

test('starts with the marker, then one headline row per stack flagging the destructive one', () => {
  const body = commentBody(stacks, 'footer text');
  expect(body.split('\n')[0]).toBe(COMMENT_MARKER);
  expect(body).toContain('| `production` | 0 | 0 | 0 | 1 | **yes** (1) |');
  expect(body).toContain('| `staging` | 0 | 1 | 0 | 0 | no |');
  expect(body).toContain('`retention_in_days`: `7` → `14`');
  expect(body.trimEnd().endsWith('footer text')).toBe(true);
});

test('stays under GitHub’s comment limit, saying where the rest is', () => {
  const huge = { ...stacks[0], markdown: 'x'.repeat(MAX_COMMENT * 2) };
  const body = commentBody([huge]);
  expect(body.length).toBeLessThanOrEqual(MAX_COMMENT);
  expect(body.startsWith(COMMENT_MARKER)).toBe(true);
  expect(body).toContain('truncated: the full summaries are in the workflow artifact');
});

describe('npm run plan:comment', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-comment-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'tools/plan/comment.ts', ...args], {
      cwd: path.resolve(__dirname, '../..'),
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  test('writes comment.md from the summaries npm run plan wrote, with the footer', () => {
    for (const { summary, markdown } of stacks) {
      fs.mkdirSync(path.join(dir, summary.stack), { recursive: true });
      fs.writeFileSync(path.join(dir, summary.stack, 'summary.json'), JSON.stringify(summary));
      fs.writeFileSync(path.join(dir, summary.stack, 'summary.md'), markdown);
    }
    expect(readSummaries(dir).map((s) => s.summary.stack)).toEqual(['production', 'staging']);
    const result = run([dir], { PLAN_COMMENT_FOOTER: 'Plan of abc123.' });
    expect(result.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'comment.md'), 'utf8')).toBe(commentBody(stacks, 'Plan of abc123.'));
  });

  test('fails clearly when there are no summaries', () => {
    const result = run([path.join(dir, 'missing')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no plan summaries in');
  });
});
