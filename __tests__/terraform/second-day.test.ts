/**
 * "Second day": from the state a first apply leaves, the changes users make routinely are planned with the
 * REAL provider, which decides what forces replacement. None may delete a live resource before its
 * replacement exists (`-/+`): that is an outage, or a ResourceInUse failure halfway through an apply.
 * The state comes from a mock apply fed with the real provider's plan of the first apply (dayOneState), kept
 * under one state_key; the day-two plans run with refresh off, as nothing could be read back from AWS.
 * See docs/offline-plan.md.
 */
import { ENVIRONMENTS, type EnvironmentConfig } from '../../config/environments';
import {
  awsResourceSchemas,
  deleteFirstReplacements,
  firstApplyRun,
  formatDiagnostics,
  OfflineWorkspace,
  onlyBlock,
  pinnedAwsVersion,
  type PlanJson,
  realPlanRun,
  type ResourceChange,
  type RunBlock,
  synthesizeStacks,
  type StackJson,
  type TestReport,
} from '../../testkit/terraform';
import { terraformDescribe } from '../../testkit/terraform/gate';

const BASE = ENVIRONMENTS.staging;
const DAY_ONE_TAG = 'v1.0.0';

function synthOne(config: EnvironmentConfig): StackJson {
  return synthesizeStacks({ staging: config }).staging;
}

/** The stack with its target group patched by `patch` (a JSON edit where no prop exists). */
function withTargetGroup(stack: StackJson, patch: (body: StackJson) => StackJson): StackJson {
  const copy = structuredClone(stack);
  const tg = onlyBlock(copy, 'aws_lb_target_group');
  copy.resource[tg.type][tg.name] = patch({ ...tg.body });
  return copy;
}

/** The target group shape that cannot be replaced while in use: a fixed name, delete first. */
function fixedNameDeleteFirst(body: StackJson): StackJson {
  const { name_prefix: _prefix, lifecycle, ...rest } = body;
  const { create_before_destroy: _cbd, ...otherLifecycle } = (lifecycle ?? {}) as StackJson;
  return {
    ...rest,
    name: 'ws-graphql-staging',
    ...(Object.keys(otherLifecycle).length > 0 ? { lifecycle: otherLifecycle } : {}),
  };
}

/**
 * Delete-first replacements of live resources. One kind is let through: an ACM validation record whose name
 * is unknown because its certificate is replaced (create_before_destroy) in the same plan. Its name comes
 * from the new certificate, so Terraform must replace it; creating first would not help, as the new record
 * has the same name (ACM's validation CNAME is per domain and account) and deleting the old one afterwards
 * would remove it. The old certificate, still serving, does not need the record until its renewal.
 */
function liveDeleteFirst(plan: PlanJson): ResourceChange[] {
  const certificateReplaced = (plan.resource_changes ?? []).some(
    (rc) => rc.type === 'aws_acm_certificate' && rc.change.actions.join() === 'create,delete',
  );
  return deleteFirstReplacements(plan).filter(
    (rc) =>
      !(
        certificateReplaced &&
        rc.type === 'aws_route53_record' &&
        (rc.change.after_unknown as { name?: boolean } | undefined)?.name === true
      ),
  );
}

terraformDescribe()('second-day plans', () => {
  const dayOne = synthOne(BASE);
  /** Routine changes: the day-two stack and the image tag to plan it with. */
  const changes: Record<string, { stack: StackJson; imageTag?: string }> = {
    'image-tag': { stack: dayOne, imageTag: 'v1.0.1' },
    counts: { stack: synthOne({ ...BASE, scaling: { desiredCount: 2, minCount: 2, maxCount: 4 } }) },
    'idle-timeout': { stack: synthOne({ ...BASE, timing: { idleTimeoutSeconds: 300 } }) },
    'ingress-cidrs': {
      stack: synthOne({ ...BASE, loadBalancer: { ...BASE.loadBalancer, ingressCidrs: ['203.0.113.0/24'] } }),
    },
    'health-check': {
      stack: synthOne({ ...BASE, targetGroup: { healthCheck: { intervalSeconds: 30, path: '/ready' } } }),
    },
    'target-group-port': { stack: withTargetGroup(dayOne, (tg) => ({ ...tg, port: 4001 })) },
    'certificate-sans': { stack: synthOne({ ...BASE, subjectAlternativeNames: ['ws.staging.example.com'] }) },
  };
  // The check itself must catch the shape it exists for: built here by patching the JSON.
  const oldShapeDayOne = withTargetGroup(dayOne, fixedNameDeleteFirst);
  const oldShapeDayTwo = withTargetGroup(oldShapeDayOne, (tg) => ({ ...tg, port: 4001 }));

  let workspace: OfflineWorkspace;
  let report: TestReport;
  let file: string;
  let oldShapeFile: string;

  beforeAll(async () => {
    const started = Date.now();
    workspace = await OfflineWorkspace.create({ pinnedVersion: pinnedAwsVersion(dayOne), shareProvider: true });
    // 1. The real provider plans the first apply of each day-one stack.
    const dayOnes = { 'day-one': dayOne, 'old-shape': oldShapeDayOne };
    const planFiles = Object.entries(dayOnes).map(([name, stack]) =>
      workspace.addTestFile(`first-plan-${name}`, {
        runs: [realPlanRun('plan', workspace.addStack(name, stack), stack, { image_tag: DAY_ONE_TAG })],
      }),
    );
    await workspace.init();
    const firstPlans = await workspace.test(planFiles);
    const planOf = (file: string): PlanJson => {
      const run = firstPlans.runs.get(`${file}/plan`);
      if (!run?.plan)
        throw new Error(`the first plan failed:\n${formatDiagnostics(run?.diagnostics ?? firstPlans.diagnostics)}`);
      return run.plan;
    };
    const schemas = awsResourceSchemas(planOf(planFiles[0]));

    // 2. A mock apply of each, fed with that plan, then the day-two plans on its state.
    const firstApply = (name: string, stack: StackJson, plan: PlanJson, validate: boolean): Promise<RunBlock> =>
      firstApplyRun(workspace, `${name}-state`, stack, plan, schemas, {
        validate,
        variables: { image_tag: DAY_ONE_TAG },
      });
    const dayTwo = (name: string, module: string, stack: StackJson, imageTag = DAY_ONE_TAG): RunBlock => ({
      name,
      command: 'plan',
      provider: 'real',
      module,
      stack,
      stateKey: 'live',
      refresh: false,
      variables: { image_tag: imageTag },
    });
    const base = './stacks/day-one';
    const secondDay = async (validate: boolean): Promise<TestReport> => {
      const runs: RunBlock[] = [await firstApply('day-one', dayOne, planOf(planFiles[0]), validate)];
      for (const [name, { stack, imageTag }] of Object.entries(changes)) {
        const module = stack === dayOne ? base : workspace.addStack(name, stack);
        runs.push(dayTwo(name.replace(/-/g, '_'), module, stack, imageTag));
      }
      file = workspace.addTestFile('second-day', { mockedStacks: [dayOne], runs });
      oldShapeFile = workspace.addTestFile('second-day-old-target-group', {
        mockedStacks: [oldShapeDayOne],
        runs: [
          await firstApply('old-shape', oldShapeDayOne, planOf(planFiles[1]), validate),
          dayTwo('target_group_port', workspace.addStack('old-shape-day-two', oldShapeDayTwo), oldShapeDayTwo),
        ],
      });
      await workspace.init();
      return workspace.test([file, oldShapeFile]);
    };
    // The mock apply validates its day-one state; only where it fails are the states validated first, each
    // command a provider start (validatedDayOneState leaves out planned defaults the provider refuses).
    report = await secondDay(false);
    const failed = [file, oldShapeFile]
      .map((f) => report.runs.get(`${f}/first_apply`))
      .filter((r) => r?.status !== 'pass');
    if (failed.length > 0) {
      const errors = formatDiagnostics([...report.diagnostics, ...failed.flatMap((r) => r?.diagnostics ?? [])]);
      console.log(`a first apply failed, the day-one states are validated and the runs repeated:\n${errors}`);
      report = await secondDay(true);
    }
    console.log(
      `second-day plans with ${workspace.toolchain.description}: ${report.summary} ` +
        `(${Date.now() - started} ms with the first plans)`,
    );
  }, 900_000);

  afterAll(() => workspace?.dispose());

  it('builds the first-apply state', () => {
    const run = report.runs.get(`${file}/first_apply`);
    expect({ status: run?.status, errors: formatDiagnostics(run?.diagnostics ?? report.diagnostics) }).toEqual({
      status: 'pass',
      errors: '',
    });
  });

  it.each(Object.keys(changes))('plans the %s change without deleting a live resource first', (name) => {
    const run = report.runs.get(`${file}/${name.replace(/-/g, '_')}`);
    expect({ status: run?.status, errors: formatDiagnostics(run?.diagnostics ?? []) }).toEqual({
      status: 'pass',
      errors: '',
    });
    const changed = (run?.plan?.resource_changes ?? []).filter((rc) => rc.change.actions.join() !== 'no-op');
    expect(changed.length).toBeGreaterThan(0);
    expect(
      liveDeleteFirst(run!.plan!).map(
        (rc) => `${rc.address} (${rc.action_reason ?? 'replace'} ${JSON.stringify(rc.change.replace_paths ?? [])})`,
      ),
    ).toEqual([]);
  });

  it('catches a target group with a fixed name and no create_before_destroy', () => {
    const run = report.runs.get(`${oldShapeFile}/target_group_port`);
    expect(run?.status).toBe('pass');
    const tg = onlyBlock(oldShapeDayTwo, 'aws_lb_target_group').address;
    expect(deleteFirstReplacements(run!.plan!).map((rc) => rc.address)).toContain(tg);
  });
});
