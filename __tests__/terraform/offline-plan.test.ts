/**
 * Offline plan of every stack of the default app and of a variant with the optional parts on, with the
 * real hashicorp/aws provider (data sources overridden, AWS unreachable), and a mocked apply whose
 * evaluated graph is checked. A deliberately broken stack shows that the plan step fails with Terraform's
 * error. See docs/offline-plan.md.
 */
import { ENVIRONMENTS } from '../../config/environments';
import {
  formatDiagnostics,
  graphAssertions,
  OfflineWorkspace,
  pinnedAwsVersion,
  planCounts,
  type PlanJson,
  realPlanRun,
  requiredVariables,
  onlyBlock,
  synthesizeStacks,
  type StackJson,
  type TestReport,
} from '../../testkit/terraform';
import { terraformDescribe } from '../../testkit/terraform/gate';

import { VARIANTS } from './variant';

const IMAGE_TAG = 'v1.2.3';

/** Address -> actions, planned values and what is unknown, of every resource change. */
function resourceChanges(plan: PlanJson | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (plan?.resource_changes ?? []).map((rc) => [
      rc.address,
      { actions: rc.change.actions, after: rc.change.after, unknown: rc.change.after_unknown },
    ]),
  );
}

terraformDescribe()('offline terraform plan', () => {
  const stacks: Record<string, StackJson> = { ...synthesizeStacks(ENVIRONMENTS), ...synthesizeStacks(VARIANTS) };
  const files = new Map<string, string>();
  let workspace: OfflineWorkspace;
  let report: TestReport;

  /** Production with Multi-AZ on and automatic failover off: valid to `terraform validate`, refused by the plan. */
  function broken(): StackJson {
    const copy = structuredClone(stacks.production);
    const group = onlyBlock(copy, 'aws_elasticache_replication_group');
    copy.resource[group.type][group.name] = {
      ...group.body,
      multi_az_enabled: true,
      automatic_failover_enabled: false,
    };
    return copy;
  }

  /**
   * Staging with its WebSocket timing edited in the JSON, as after hand-off: the ALB idle timeout below 2x the
   * keepalive, the deregistration delay shorter than the drain window, the stop timeout (in the timing
   * local) above Fargate's 120 s.
   */
  function timingEdited(): StackJson {
    const copy = structuredClone(stacks.staging);
    const lb = onlyBlock(copy, 'aws_lb');
    const tg = onlyBlock(copy, 'aws_lb_target_group');
    copy.resource[lb.type][lb.name] = { ...lb.body, idle_timeout: 20 };
    copy.resource[tg.type][tg.name] = { ...tg.body, deregistration_delay: '5' };
    const [local] = Object.keys(copy.locals as StackJson);
    copy.locals[local] = { ...copy.locals[local], stop_timeout_seconds: 150 };
    return copy;
  }

  beforeAll(async () => {
    workspace = await OfflineWorkspace.create({ pinnedVersion: pinnedAwsVersion(stacks.staging), shareProvider: true });
    for (const [name, stack] of Object.entries(stacks)) {
      const module = workspace.addStack(name, stack);
      const variables = requiredVariables(stack, IMAGE_TAG);
      files.set(
        name,
        workspace.addTestFile(name, {
          runs: [
            realPlanRun('plan', module, stack, variables),
            {
              name: 'mocked_apply',
              command: 'apply',
              provider: 'mock',
              module,
              stack,
              variables: { image_tag: IMAGE_TAG },
              assertions: graphAssertions(stack),
            },
          ],
        }),
      );
    }
    const brokenStack = broken();
    files.set(
      'broken',
      workspace.addTestFile('broken', {
        runs: [realPlanRun('plan', workspace.addStack('broken', brokenStack), brokenStack, { image_tag: IMAGE_TAG })],
      }),
    );
    const edited = timingEdited();
    files.set(
      'timing-edited',
      workspace.addTestFile('timing-edited', {
        runs: [realPlanRun('plan', workspace.addStack('timing-edited', edited), edited, { image_tag: IMAGE_TAG })],
      }),
    );
    await workspace.init();
    const started = Date.now();
    report = await workspace.test();
    const counts = Object.keys(stacks).map((name) => {
      const plan = report.runs.get(`${files.get(name)}/plan`)?.plan;
      return `${name} ${plan ? JSON.stringify(planCounts(plan)) : 'no plan'}`;
    });
    console.log(
      `offline plan with ${workspace.toolchain.description} (the stacks pin ${pinnedAwsVersion(stacks.staging)}): ` +
        `${report.summary} in ${Date.now() - started} ms; ${counts.join('; ')}`,
    );
  }, 900_000);

  afterAll(() => workspace?.dispose());

  const names = [...Object.keys(ENVIRONMENTS), ...Object.keys(VARIANTS)];

  it.each(names)('plans %s with the real provider', (name) => {
    const run = report.runs.get(`${files.get(name)}/plan`);
    expect({ status: run?.status, errors: formatDiagnostics(run?.diagnostics ?? report.diagnostics) }).toEqual({
      status: 'pass',
      errors: '',
    });
    const counts = planCounts(run!.plan!);
    expect(counts.add).toBeGreaterThan(10);
    expect(counts).toMatchObject({ change: 0, destroy: 0 });
  });

  it.each(names)('applies %s against the mock provider and the evaluated graph holds', (name) => {
    const run = report.runs.get(`${files.get(name)}/mocked_apply`);
    expect({ status: run?.status, errors: formatDiagnostics(run?.diagnostics ?? []) }).toEqual({
      status: 'pass',
      errors: '',
    });
  });

  it("plans staging exactly as Terraform's own provider processes do", async () => {
    // This suite attaches every command to one provider process (tools/terraform/shared-provider.ts).
    expect(workspace.providerShared).toBe(true);
    const own = await OfflineWorkspace.create({ pinnedVersion: pinnedAwsVersion(stacks.staging) });
    try {
      const stack = stacks.staging;
      const module = own.addStack('staging', stack);
      const file = own.addTestFile('staging', {
        runs: [realPlanRun('plan', module, stack, requiredVariables(stack, IMAGE_TAG))],
      });
      await own.init();
      const ownRun = (await own.test([file])).runs.get(`${file}/plan`);
      expect(own.providerShared).toBe(false);
      expect({ status: ownRun?.status, errors: formatDiagnostics(ownRun?.diagnostics ?? []) }).toEqual({
        status: 'pass',
        errors: '',
      });
      const shared = report.runs.get(`${files.get('staging')}/plan`)?.plan;
      expect(Object.keys(resourceChanges(ownRun?.plan)).length).toBeGreaterThan(10);
      expect(resourceChanges(shared)).toEqual(resourceChanges(ownRun?.plan));
      // With its SDKs' logs off (quietProviderLogs), the shared provider writes about 19 KB for all these
      // runs; at TRACE, its default, 12.8 MB.
      expect(await workspace.sharedProviderLogBytes()).toBeLessThan(256 * 1024);
    } finally {
      own.dispose();
    }
  }, 120_000);

  it('checks each part of the graph that a stack has', () => {
    const ids = (name: string) =>
      graphAssertions(stacks[name])
        .map((a) => a.id)
        .sort();
    const all = ['image-tag', 'ipv6-subnets', 'listener-certificate', 'request-count-label', 'validation-records'];
    expect(ids('staging')).toEqual(all);
    expect(ids('production')).toEqual(all);
    // Own certificate, own network: no validation records, no subnets of ours.
    expect(ids('all-options')).toEqual(['image-tag', 'request-count-label']);
  });

  it("fails the plan of a broken stack and shows Terraform's error", () => {
    const run = report.runs.get(`${files.get('broken')}/plan`);
    expect(run?.status).not.toBe('pass');
    expect(formatDiagnostics(run?.diagnostics ?? [])).toMatch(
      /automatic_failover_enabled must be true.*multi_az_enabled/is,
    );
  });

  it('fails the plan of a stack whose WebSocket timing was edited to break the rules, naming each rule', () => {
    const run = report.runs.get(`${files.get('timing-edited')}/plan`);
    expect(run?.status).not.toBe('pass');
    const errors = formatDiagnostics(run?.diagnostics ?? []);
    expect(errors).toMatch(
      /postcondition failed.*load balancer idle_timeout \(20 s\) must be at least 2x the keepalive interval \(15000 ms\)/i,
    );
    expect(errors).toMatch(
      /postcondition failed.*deregistration_delay \(5 s\) must be >= the drain window \(30000 ms\)/i,
    );
    expect(errors).toMatch(/precondition failed.*stop timeout must be an integer in 2\.\.120 \(Fargate\), got 150/i);
  });
});
