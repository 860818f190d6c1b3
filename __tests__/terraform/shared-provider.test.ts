/**
 * The Terraform suites plan through one shared provider process per workspace (tools/terraform/
 * shared-provider.ts); offline-plan.test.ts checks that a plan made so equals one made with Terraform's own
 * provider processes. A stack with a second, aliased aws provider must not share the process: both provider
 * blocks would configure it.
 */
import { ENVIRONMENTS } from '../../config/environments';
import { OfflineWorkspace, pinnedAwsVersion, synthesizeStacks, type StackJson } from '../../testkit/terraform';
import { terraformDescribe } from '../../testkit/terraform/gate';

terraformDescribe()('one shared provider process', () => {
  const stack = synthesizeStacks({ staging: ENVIRONMENTS.staging }).staging;
  let workspace: OfflineWorkspace | undefined;
  afterAll(() => workspace?.dispose());

  test('is not used for a stack with an aliased aws provider', async () => {
    const aliased = structuredClone(stack) as StackJson & { provider: { aws: Record<string, unknown>[] } };
    aliased.provider.aws.push({ ...aliased.provider.aws[0], alias: 'us_east_1', region: 'us-east-1' });
    workspace = await OfflineWorkspace.create({ pinnedVersion: pinnedAwsVersion(stack), shareProvider: true });
    workspace.addStack('aliased', aliased);
    await workspace.init();
    expect((await workspace.run(['providers'], { cwd: 'stacks/aliased' })).code).toBe(0);
    expect(workspace.providerShared).toBe(false);
  });
});
