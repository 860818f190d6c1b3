/**
 * `terraform init` with a provider mirror writes nothing shared: jest runs terraform suites in several workers
 * at once, and a plugin cache that every init rewrites (Terraform does not make it safe for concurrent use)
 * made one worker's init see the other's half-made link ("does not match any of the checksums recorded in
 * the dependency lock file").
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { terraformDescribe } from '../../testkit/terraform/gate';
import { OfflineWorkspace } from '../../tools/terraform';
import { findProviderSource } from '../../tools/terraform/toolchain';

terraformDescribe()('terraform init with a provider mirror', () => {
  let scratch: string;
  beforeAll(() => (scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'toolchain-test-'))));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  test('links hashicorp/aws from the mirror and leaves the plugin cache untouched', async () => {
    const source = findProviderSource('');
    if (source.kind !== 'mirror') {
      if (process.env.CI === 'true') throw new Error('CI must have a hashicorp/aws mirror (see docs/offline-plan.md)');
      console.warn('no hashicorp/aws mirror here: nothing to check');
      return;
    }
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
});
