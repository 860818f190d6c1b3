/**
 * `terraform init` with a provider mirror writes nothing shared: jest runs terraform suites in several workers
 * at once, and a plugin cache that every init rewrites (Terraform does not make it safe for concurrent use)
 * made one worker's init see the other's half-made link ("does not match any of the checksums recorded in
 * the dependency lock file"). A workspace inits its root once; later stacks and test files get their modules
 * from `terraform get`, unless they need another provider.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { terraformDescribe } from '../../testkit/terraform/gate';
import { OfflineWorkspace, type StackJson } from '../../tools/terraform';
import { findProviderSource, type ProviderSource } from '../../tools/terraform/toolchain';

/** The hashicorp/aws mirror these tests need; without one, undefined (with a warning), or under CI an error. */
function mirrored(): ProviderSource | undefined {
  const source = findProviderSource('');
  if (source.kind === 'mirror') return source;
  if (process.env.CI === 'true') throw new Error('CI must have a hashicorp/aws mirror (see docs/offline-plan.md)');
  console.warn('no hashicorp/aws mirror here: nothing to check');
  return undefined;
}

terraformDescribe()('terraform init with a provider mirror', () => {
  let scratch: string;
  beforeAll(() => (scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'toolchain-test-'))));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  test('links hashicorp/aws from the mirror and leaves the plugin cache untouched', async () => {
    const source = mirrored();
    if (source === undefined) return;
    const cache = path.join(scratch, 'plugin-cache');
    const env = { ...process.env, TF_PLUGIN_CACHE_DIR: cache };
    const workspace = await OfflineWorkspace.create({
      pinnedVersion: source.version,
      env,
      dir: path.join(scratch, 'ws'),
    });
    await workspace.init();

    const platformDir = fs
      .readdirSync(path.join(workspace.dir, '.terraform/providers/registry.terraform.io/hashicorp/aws', source.version))
      .map((p) =>
        path.join(workspace.dir, '.terraform/providers/registry.terraform.io/hashicorp/aws', source.version, p),
      );
    expect(platformDir).toHaveLength(1);
    expect(fs.realpathSync(platformDir[0] as string).startsWith(fs.realpathSync(source.mirror as string))).toBe(true);
    expect(fs.existsSync(cache) ? fs.readdirSync(cache, { recursive: true }) : []).toEqual([]);
  });

  test('inits the root once: new stacks and test files get their modules, a new provider a full init', async () => {
    const source = mirrored();
    if (source === undefined) return;
    const workspace = await OfflineWorkspace.create({ pinnedVersion: source.version, dir: path.join(scratch, 'ws2') });
    try {
      const stack = (resource: StackJson): StackJson => ({
        terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: source.version } } },
        provider: { aws: [{ region: 'eu-west-1' }] },
        resource,
      });
      const bucket = stack({ aws_s3_bucket: { logs: { bucket: 'logs' } } });
      const testFile = (name: string, module: string, s: StackJson) =>
        workspace.addTestFile(name, { runs: [{ name: 'plan', command: 'plan', provider: 'real', module, stack: s }] });
      const modules = () =>
        (
          JSON.parse(fs.readFileSync(path.join(workspace.dir, '.terraform/modules/modules.json'), 'utf8')) as {
            Modules: { Key: string }[];
          }
        ).Modules.map((m) => m.Key);
      // Written before the first init but named by no test file yet: that init does not install its provider.
      const random = stack({ random_id: { suffix: { byte_length: 4 } } });
      random.terraform.required_providers.random = { source: 'hashicorp/random' };
      const randomModule = workspace.addStack('random', random);

      testFile('first', workspace.addStack('first', bucket), bucket);
      expect((await workspace.init()).args[0]).toBe('init');
      testFile('second', workspace.addStack('second', bucket), bucket);
      // hashicorp/random is not in the lock file: a full init again (it succeeds, as nothing names the stack).
      expect((await workspace.init()).args[0]).toBe('init');
      expect(modules()).toEqual(expect.arrayContaining(['test.tests.first.plan', 'test.tests.second.plan']));

      testFile('third', randomModule, random);
      // The mirror holds only hashicorp/aws: the full init is the one that fails to install hashicorp/random.
      await expect(workspace.init()).rejects.toThrow(/terraform init failed[\s\S]*hashicorp\/random/);
    } finally {
      workspace.dispose();
    }
  });

  test('after the first init, a stack and test file of the locked providers only get their modules', async () => {
    const source = mirrored();
    if (source === undefined) return;
    const workspace = await OfflineWorkspace.create({ pinnedVersion: source.version, dir: path.join(scratch, 'ws3') });
    try {
      const bucket: StackJson = {
        terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: source.version } } },
        provider: { aws: [{ region: 'eu-west-1' }] },
        resource: { aws_s3_bucket: { logs: { bucket: 'logs' } } },
      };
      const add = (name: string) =>
        workspace.addTestFile(name, {
          runs: [
            {
              name: 'plan',
              command: 'plan',
              provider: 'real',
              module: workspace.addStack(name, bucket),
              stack: bucket,
            },
          ],
        });
      add('first');
      expect((await workspace.init()).args[0]).toBe('init');
      add('second');
      expect((await workspace.init()).args[0]).toBe('get');
      const modules = JSON.parse(
        fs.readFileSync(path.join(workspace.dir, '.terraform/modules/modules.json'), 'utf8'),
      ) as { Modules: { Key: string }[] };
      expect(modules.Modules.map((m) => m.Key)).toContain('test.tests.second.plan');
    } finally {
      workspace.dispose();
    }
  });
});
