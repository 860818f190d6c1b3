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
import { underCi } from '../../testkit/ci';
import { terraformDescribe } from '../../testkit/terraform/gate';
import { OfflineWorkspace, type StackJson } from '../../tools/terraform';
import { findProviderSource, type ProviderSource } from '../../tools/terraform/toolchain';

/** The hashicorp/aws mirror these tests need; without one, undefined (with a warning), or under CI an error. */
function mirrored(): ProviderSource | undefined {
  const source = findProviderSource('');
  if (source.kind === 'mirror') return source;
  if (underCi()) throw new Error('CI must have a hashicorp/aws mirror (see docs/offline-plan.md)');
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
    await inWorkspace(path.join(scratch, 'ws2'), async (workspace, source) => {
      const bucket = stackWith(source.version, { aws_s3_bucket: { logs: { bucket: 'logs' } } });
      // Written before the first init but named by no test file yet: that init does not install its provider.
      const random = stackWith(source.version, { random_id: { suffix: { byte_length: 4 } } });
      random.terraform.required_providers.random = { source: 'hashicorp/random' };
      const randomModule = workspace.addStack('random', random);

      planIn(workspace, 'first', bucket);
      expect((await workspace.init()).args[0]).toBe('init');
      planIn(workspace, 'second', bucket);
      // hashicorp/random is not in the lock file: a full init again (it succeeds, as nothing names the stack).
      expect((await workspace.init()).args[0]).toBe('init');
      expect(installedModules(workspace)).toEqual(
        expect.arrayContaining(['test.tests.first.plan', 'test.tests.second.plan']),
      );

      planIn(workspace, 'third', random, randomModule);
      // The mirror holds only hashicorp/aws: the full init is the one that fails to install hashicorp/random.
      await expect(workspace.init()).rejects.toThrow(/terraform init failed[\s\S]*hashicorp\/random/);
    });
  });

  test('after the first init, a stack and test file of the locked providers only get their modules', async () => {
    await inWorkspace(path.join(scratch, 'ws3'), async (workspace, source) => {
      const bucket = stackWith(source.version, { aws_s3_bucket: { logs: { bucket: 'logs' } } });
      planIn(workspace, 'first', bucket);
      expect((await workspace.init()).args[0]).toBe('init');
      planIn(workspace, 'second', bucket);
      expect((await workspace.init()).args[0]).toBe('get');
      expect(installedModules(workspace)).toContain('test.tests.second.plan');
    });
  });
});

/** Runs `body` in a workspace at `dir` on the mirrored provider, then disposes it; nothing without a mirror. */
async function inWorkspace(
  dir: string,
  body: (workspace: OfflineWorkspace, source: ProviderSource) => Promise<void>,
): Promise<void> {
  const source = mirrored();
  if (source === undefined) return;
  const workspace = await OfflineWorkspace.create({ pinnedVersion: source.version, dir });
  try {
    await body(workspace, source);
  } finally {
    workspace.dispose();
  }
}

/** A stack of `resource` with the aws provider at `version`. */
function stackWith(version: string, resource: StackJson): StackJson {
  return {
    terraform: { required_providers: { aws: { source: 'hashicorp/aws', version } } },
    provider: { aws: [{ region: 'eu-west-1' }] },
    resource,
  };
}

/** `tests/<name>.tftest.hcl` planning `stack`, written as stack `<name>` unless `module` is given. */
function planIn(workspace: OfflineWorkspace, name: string, stack: StackJson, module?: string): void {
  const run = { name: 'plan', command: 'plan', provider: 'real', stack } as const;
  workspace.addTestFile(name, { runs: [{ ...run, module: module ?? workspace.addStack(name, stack) }] });
}

/** The module keys `terraform init`/`get` recorded in the workspace. */
function installedModules(workspace: OfflineWorkspace): string[] {
  const file = path.join(workspace.dir, '.terraform/modules/modules.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { Modules: { Key: string }[] }).Modules.map((m) => m.Key);
}
