/**
 * The plan review summary on real `terraform show -json` plans: a small stack (log group, load balancer,
 * target group with create_before_destroy, ECR repository) planned by the real hashicorp/aws provider,
 * offline. The create plan comes first; a mock apply fed with it (testkit dayOneState) leaves the state a
 * first apply would, and the real provider then plans a no-op, an in-place update, a replacement and a
 * destroy on that state. One workspace, two `terraform test` runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  awsResourceSchemas,
  firstApplyRun,
  formatDiagnostics,
  OfflineWorkspace,
  type PlanJson,
  realPlanRun,
  type RunBlock,
  type StackJson,
  type TestReport,
} from '../../testkit/terraform';
import { terraformDescribe } from '../../testkit/terraform/gate';
import { main } from '../../tools/plan/cli';
import { EXIT, exitCode, renderMarkdown, summarizePlan, type PlanSummary } from '../../tools/plan/summary';

const STACK: StackJson = {
  terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: '6.25.0' } } },
  provider: { aws: [{ region: 'eu-west-1' }] },
  variable: {
    retention: { type: 'number', default: 7 },
    idle: { type: 'number', default: 120 },
    port: { type: 'number', default: 4000 },
    keep_repository: { type: 'bool', default: true },
  },
  resource: {
    aws_cloudwatch_log_group: { Logs: { name: 'ws-graphql-review', retention_in_days: '${var.retention}' } },
    aws_lb: {
      LoadBalancer: {
        name: 'ws-graphql-review',
        load_balancer_type: 'application',
        subnets: ['subnet-0offline00000001', 'subnet-0offline00000002'],
        idle_timeout: '${var.idle}',
      },
    },
    aws_lb_target_group: {
      Targets: {
        name_prefix: 'ws-',
        port: '${var.port}',
        protocol: 'HTTP',
        // Left out, the mock apply stores a random string and the real provider replaces to fix it.
        protocol_version: 'HTTP1',
        target_type: 'ip',
        vpc_id: 'vpc-0offline0000000',
        deregistration_delay: '30',
        lifecycle: { create_before_destroy: true },
      },
    },
    aws_ecr_repository: { Images: { name: 'ws-graphql-review', count: '${var.keep_repository ? 1 : 0}' } },
  },
};

const DAY_TWO: Record<string, Record<string, unknown>> = {
  unchanged: {},
  update: { retention: 14, idle: 300 },
  replace: { port: 4001 },
  destroy: { keep_repository: false },
};

terraformDescribe()('plan review summary on real plans', () => {
  const plans: Record<string, PlanJson> = {};
  let workspace: OfflineWorkspace;

  beforeAll(async () => {
    const started = Date.now();
    workspace = await OfflineWorkspace.create({ pinnedVersion: '6.25.0', shareProvider: true });
    const module = workspace.addStack('review', STACK);
    const createFile = workspace.addTestFile('create', { runs: [realPlanRun('create', module, STACK)] });
    await workspace.init();
    const first = await workspace.test([createFile]);
    const create = first.runs.get(`${createFile}/create`);
    if (!create?.plan)
      throw new Error(`create plan failed:\n${formatDiagnostics(create?.diagnostics ?? first.diagnostics)}`);
    plans.create = create.plan;

    const createPlan = create.plan;
    const schemas = awsResourceSchemas(createPlan);
    let dayTwoFile = '';
    const dayTwo = async (validate: boolean): Promise<TestReport> => {
      const runs: RunBlock[] = [
        await firstApplyRun(workspace, 'review-state', STACK, createPlan, schemas, { validate }),
        ...Object.entries(DAY_TWO).map(([name, variables]): RunBlock => ({
          name,
          command: 'plan',
          provider: 'real',
          module,
          stack: STACK,
          stateKey: 'live',
          refresh: false,
          variables,
        })),
      ];
      dayTwoFile = workspace.addTestFile('day-two', { mockedStacks: [STACK], runs });
      await workspace.init();
      return workspace.test([dayTwoFile]);
    };
    // The mock apply validates the day-one state; only where it fails is the state validated (and mended by
    // validatedDayOneState) first, which costs another provider start.
    let report = await dayTwo(false);
    if (report.runs.get(`${dayTwoFile}/first_apply`)?.status !== 'pass') report = await dayTwo(true);
    for (const name of ['first_apply', ...Object.keys(DAY_TWO)]) {
      const run = report.runs.get(`${dayTwoFile}/${name}`);
      if (run?.status !== 'pass') {
        throw new Error(`${name}: ${run?.status}\n${formatDiagnostics(run?.diagnostics ?? report.diagnostics)}`);
      }
      if (run.plan) plans[name] = run.plan;
    }
    console.log(`real plans with ${workspace.toolchain.description}: ${(Date.now() - started) / 1000} s`);
  }, 600_000);

  afterAll(() => workspace?.dispose());

  const summary = (name: string): PlanSummary => summarizePlan('review', plans[name]);

  test('create: counts every resource as added, lists what is set, flags nothing', () => {
    const s = summary('create');
    expect(s.counts).toEqual({ add: 4, change: 0, replace: 0, destroy: 0 });
    expect(s.destructive).toEqual([]);
    const logs = s.resources.find((r) => r.address === 'aws_cloudwatch_log_group.Logs');
    expect(logs?.attributes).toContainEqual({
      name: 'retention_in_days',
      before: 'null',
      after: '7',
      forcesReplacement: false,
    });
    expect(exitCode([s], false)).toBe(EXIT.changes);
    expect(renderMarkdown(s)).toMatch(/<details><summary>4 to add<\/summary>[\s\S]*aws_lb\.LoadBalancer/);
  });

  test('timing the plan knows only after apply comes from the container timing local', () => {
    const local = { keepalive_interval_ms: 15000, drain_window_ms: 30000, stop_timeout_seconds: 60 };
    const timing = (stackJson?: unknown) =>
      Object.fromEntries(summarizePlan('review', plans.create, stackJson).timing.map((t) => [t.name, t.after]));
    expect(timing()).toMatchObject({ 'ALB idle timeout': '120', 'keepalive interval': '(known after apply)' });
    expect(timing({ locals: { Timing: local } })).toEqual({
      'ALB idle timeout': '120',
      'keepalive interval': '15000',
      'deregistration delay': '30',
      'drain window': '30000',
      'stop timeout': '60',
    });
  });

  test('no change: nothing listed, exit code 0', () => {
    const s = summary('unchanged');
    expect(s.counts).toEqual({ add: 0, change: 0, replace: 0, destroy: 0 });
    expect(s.resources).toEqual([]);
    expect(exitCode([s], false)).toBe(EXIT.noChanges);
    expect(renderMarkdown(s)).toContain('No changes.');
  });

  test('in-place update: the changed attributes before and after, timing side by side', () => {
    const s = summary('update');
    expect(s.counts).toEqual({ add: 0, change: 2, replace: 0, destroy: 0 });
    expect(
      s.resources.map((r) => [
        r.address,
        r.action,
        r.attributes
          // The mock state leaves zero values null (dayOneState); the provider plans them as null -> false.
          .filter((a) => a.before !== 'null')
          .map((a) => `${a.name}: ${a.before} -> ${a.after}`),
      ]),
    ).toEqual([
      ['aws_cloudwatch_log_group.Logs', 'update', ['retention_in_days: 7 -> 14']],
      ['aws_lb.LoadBalancer', 'update', ['idle_timeout: 120 -> 300']],
    ]);
    expect(s.timing.find((t) => t.name === 'ALB idle timeout')).toMatchObject({ before: '120', after: '300' });
    expect(s.timing.find((t) => t.name === 'deregistration delay')).toMatchObject({ before: '30', after: '30' });
    expect(exitCode([s], false)).toBe(EXIT.changes);
    expect(renderMarkdown(s)).toContain('| ALB idle timeout (s) | 120 | 300 (changed) |');
  });

  test('create-before-destroy replacement: listed first, flagged, the forcing attribute named', () => {
    const s = summary('replace');
    expect(s.counts).toEqual({ add: 0, change: 0, replace: 1, destroy: 0 });
    const [first] = s.resources;
    expect(first).toMatchObject({
      address: 'aws_lb_target_group.Targets',
      action: 'replace',
      order: 'create-before-destroy',
    });
    expect(first.stateful).toMatch(/target group/);
    expect(first.attributes).toContainEqual({ name: 'port', before: '4000', after: '4001', forcesReplacement: true });
    expect(s.destructive).toEqual(['aws_lb_target_group.Targets']);
    expect(exitCode([s], false)).toBe(EXIT.destructive);
    expect(exitCode([s], true)).toBe(EXIT.changes);
    expect(renderMarkdown(s)).toMatch(/CAUTION[\s\S]*aws_lb_target_group\.Targets/);
    // Terraform's symbols: +/- creates the replacement first, -/+ deletes first.
    expect(renderMarkdown(s)).toContain('- `+/-` `aws_lb_target_group.Targets` **replace** (create-before-destroy)');
    const deleteFirst = { ...s, resources: [{ ...first, order: 'delete-first' as const }] };
    expect(renderMarkdown(deleteFirst)).toContain('- `-/+` `aws_lb_target_group.Targets` **replace** (delete-first)');
  });

  test('destroy: the ECR repository flagged, exit code 3 unless allowed', () => {
    const s = summary('destroy');
    expect(s.counts).toEqual({ add: 0, change: 0, replace: 0, destroy: 1 });
    expect(s.resources[0]).toMatchObject({ address: 'aws_ecr_repository.Images[0]', action: 'delete' });
    expect(s.destructive).toEqual(['aws_ecr_repository.Images[0]']);
    expect(exitCode([s], false)).toBe(EXIT.destructive);
  });

  describe('the command on saved plans (--show-json)', () => {
    let dir: string;
    /** A saved plan, without the provider schemas -verbose adds (`terraform show -json` has none). */
    const file = (name: string) => {
      const f = path.join(dir, `${name}.json`);
      const { provider_schemas: _schemas, ...saved } = plans[name]!;
      fs.writeFileSync(f, JSON.stringify(saved));
      return f;
    };
    beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-review-'))));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const quiet = async (argv: string[]) => {
      const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
      const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        return await main(argv);
      } finally {
        write.mockRestore();
        err.mockRestore();
      }
    };

    test('exit codes 0, 2, 3 and 2 with --allow-destroy; writes the summaries per stack', async () => {
      const out = path.join(dir, 'out');
      expect(await quiet(['--out', out, '--show-json', `staging=${file('unchanged')}`])).toBe(0);
      expect(await quiet(['--out', out, '--show-json', `staging=${file('update')}`])).toBe(2);
      const both = ['--show-json', `staging=${file('update')}`, '--show-json', `production=${file('destroy')}`];
      expect(await quiet(['--out', out, ...both])).toBe(3);
      expect(await quiet(['--out', out, ...both, '--allow-destroy'])).toBe(2);
      expect(fs.readdirSync(path.join(out, 'production')).sort()).toEqual(['plan.json', 'summary.json', 'summary.md']);
      const saved = JSON.parse(fs.readFileSync(path.join(out, 'production', 'summary.json'), 'utf8')) as PlanSummary;
      expect(saved.destructive).toEqual(['aws_ecr_repository.Images[0]']);
    });

    test('as a process: exit code 3 with the reason, 1 with a clear error', () => {
      const run = (args: string[]) =>
        spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'tools/plan/cli.ts', ...args], {
          encoding: 'utf8',
          cwd: path.resolve(__dirname, '../..'),
        });
      const destroy = run(['--out', path.join(dir, 'p'), '--show-json', `staging=${file('destroy')}`]);
      expect(destroy.status).toBe(3);
      expect(destroy.stderr).toContain('aws_ecr_repository.Images[0]');
      expect(destroy.stdout).toContain('0 to add, 0 to change, 0 to replace, 1 to destroy');
      const bad = run(['--bogus']);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('unknown option --bogus');
    });
  });
});
