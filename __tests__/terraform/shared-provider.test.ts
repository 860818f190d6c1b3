/**
 * The Terraform suites plan through one shared provider process per workspace (tools/terraform/
 * shared-provider.ts). That must not change a plan: the same stack planned both ways gives the same
 * resource changes. A stack with a second, aliased aws provider must not share one process.
 */
import { ENVIRONMENTS } from '../../config/environments';
import {
  OfflineWorkspace,
  pinnedAwsVersion,
  type PlanJson,
  realPlanRun,
  requiredVariables,
  synthesizeStacks,
  type StackJson,
} from '../../testkit/terraform';
import { terraformDescribe } from '../../testkit/terraform/gate';

terraformDescribe()('one shared provider process', () => {
  const stack = synthesizeStacks({ staging: ENVIRONMENTS.staging }).staging;
  const workspaces: OfflineWorkspace[] = [];
  afterAll(() => workspaces.forEach((w) => w.dispose()));

  async function plan(shareProvider: boolean): Promise<{ plan: PlanJson; shared: boolean }> {
    const workspace = await OfflineWorkspace.create({ pinnedVersion: pinnedAwsVersion(stack), shareProvider });
    workspaces.push(workspace);
    const module = workspace.addStack('staging', stack);
    const file = workspace.addTestFile('staging', {
      runs: [realPlanRun('plan', module, stack, requiredVariables(stack, 'v1.0.0'))],
    });
    await workspace.init();
    const report = await workspace.test([file]);
    const run = report.runs.get(`${file}/plan`);
    expect({ status: run?.status, diagnostics: run?.diagnostics }).toEqual({ status: 'pass', diagnostics: [] });
    return { plan: run!.plan!, shared: workspace.providerShared };
  }

  const changes = (plan: PlanJson) =>
    Object.fromEntries(
      (plan.resource_changes ?? []).map((rc) => [
        rc.address,
        { actions: rc.change.actions, after: rc.change.after, unknown: rc.change.after_unknown },
      ]),
    );

  test("plans a stack exactly as Terraform's own provider processes do", async () => {
    const shared = await plan(true);
    const own = await plan(false);
    expect([shared.shared, own.shared]).toEqual([true, false]);
    expect(Object.keys(changes(own.plan)).length).toBeGreaterThan(10);
    expect(changes(shared.plan)).toEqual(changes(own.plan));
  });

  test('is not used for a stack with an aliased aws provider', async () => {
    const aliased = structuredClone(stack) as StackJson & { provider: { aws: Record<string, unknown>[] } };
    aliased.provider.aws.push({ ...aliased.provider.aws[0], alias: 'us_east_1', region: 'us-east-1' });
    const workspace = await OfflineWorkspace.create({ pinnedVersion: pinnedAwsVersion(stack), shareProvider: true });
    workspaces.push(workspace);
    workspace.addStack('aliased', aliased);
    await workspace.init();
    expect((await workspace.run(['providers'], { cwd: 'stacks/aliased' })).code).toBe(0);
    expect(workspace.providerShared).toBe(false);
  });
});
