/**
 * Runs the terraform CLI offline against the local provider mirror: a CLI config with a filesystem_mirror
 * for hashicorp/* (TF_PLUGIN_MIRROR, default /opt/tf-plugins) and no checkpoint calls. For the block schema
 * generator and the HCL tests; the hand-off bundle itself needs no terraform.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const MIRROR = process.env.TF_PLUGIN_MIRROR ?? '/opt/tf-plugins';

/** The hashicorp/aws version in the mirror (the newest, if several). */
export function providerVersion(): string {
  const dir = path.join(MIRROR, 'registry.terraform.io/hashicorp/aws');
  if (!fs.existsSync(dir)) throw new Error(`no hashicorp/aws in the provider mirror ${MIRROR} (set TF_PLUGIN_MIRROR)`);
  const versions = fs.readdirSync(dir).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const newest = versions[versions.length - 1];
  if (newest === undefined) throw new Error(`no hashicorp/aws version in ${dir}`);
  return newest;
}

/** Environment for terraform: the mirror-only CLI config (written into `dir`) and no checkpoint. */
export function terraformEnv(dir: string): NodeJS.ProcessEnv {
  const config = path.join(dir, 'terraform.rc');
  fs.writeFileSync(
    config,
    [
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(MIRROR)}`,
      '    include = ["registry.terraform.io/hashicorp/*"]',
      '  }',
      '  direct {',
      '    exclude = ["registry.terraform.io/hashicorp/*"]',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  return { ...process.env, TF_CLI_CONFIG_FILE: config, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
}

/** Runs terraform in `cwd`; returns stdout, throws with stderr on a non-zero exit. */
export function terraform(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): string {
  try {
    return execFileSync('terraform', args, {
      cwd,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 << 20,
    });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string };
    throw new Error(`terraform ${args.join(' ')} failed in ${cwd}:\n${e.stderr ?? ''}${e.stdout ?? ''}`, {
      cause: error,
    });
  }
}

interface ProviderSchema {
  provider: { block: object };
  resource_schemas: Record<string, { block: object }>;
  data_source_schemas: Record<string, { block: object }>;
}

/** `terraform providers schema -json` of hashicorp/aws from the mirror. */
export function awsProviderSchema(): ProviderSchema {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-schema-'));
  try {
    const env = terraformEnv(dir);
    fs.writeFileSync(
      path.join(dir, 'main.tf.json'),
      JSON.stringify({
        terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: providerVersion() } } },
      }),
    );
    terraform(dir, env, 'init', '-input=false', '-backend=false', '-no-color');
    const all = JSON.parse(terraform(dir, env, 'providers', 'schema', '-json')) as {
      provider_schemas: Record<string, ProviderSchema>;
    };
    const aws = all.provider_schemas['registry.terraform.io/hashicorp/aws'];
    if (aws === undefined) throw new Error('terraform returned no schema for hashicorp/aws');
    return aws;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
