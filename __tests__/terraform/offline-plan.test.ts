/**
 * Offline plan of every stack of the default app and of a variant with the optional parts on, with the
 * real hashicorp/aws provider (data sources overridden, AWS unreachable), and a mocked apply whose
 * evaluated graph is checked. A deliberately broken stack shows that the plan step fails with Terraform's
 * error. See docs/offline-plan.md.
 */
import { ENVIRONMENTS } from '../../config/environments';
import {
  formatDiagnostics,
  OfflineWorkspace,
  pinnedAwsVersion,
  planCounts,
  realPlanRun,
  requiredVariables,
  onlyBlock,
  synthesizeStacks,
  type StackJson,
  type TestReport,
} from '../../testkit/terraform';
import { terraformDescribe } from './gate';
import { graphAssertions } from './graph-assertions';
import { VARIANTS } from './variant';

const IMAGE_TAG = 'v1.2.3';

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

  beforeAll(async () => {
    workspace = await OfflineWorkspace.create({ pinnedVersion: pinnedAwsVersion(stacks.staging) });
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
});
