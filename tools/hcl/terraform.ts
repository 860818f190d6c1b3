/**
 * Synchronous terraform runs for the block schema generator and the HCL tests, on the shared toolchain
 * (tools/terraform/toolchain.ts): the same terraform binary, provider mirror and CLI configuration as the
 * plan commands. The hand-off bundle itself needs no terraform.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findProviderSource, prepareToolchain } from '../terraform/toolchain';

/** The hashicorp/aws version the scratch configurations pin: the mirror's newest (the mirror is required). */
export function providerVersion(): string {
  const source = findProviderSource('');
  if (source.kind !== 'mirror') {
    throw new Error('no hashicorp/aws in a local provider mirror (set TF_PROVIDER_MIRROR to the mirror directory)');
  }
  return source.version;
}

/** Environment for terraform: the toolchain's CLI config (written into `dir`) and no checkpoint. */
export function terraformEnv(dir: string): NodeJS.ProcessEnv {
  const toolchain = prepareToolchain(dir, providerVersion());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TERRAFORM: toolchain.terraform,
    TF_CLI_CONFIG_FILE: toolchain.cliConfigFile,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
  };
  delete env.TF_PLUGIN_CACHE_DIR;
  return env;
}

/** Runs terraform in `cwd`; returns stdout, throws with stderr on a non-zero exit. */
export function terraform(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): string {
  try {
    return execFileSync(env.TERRAFORM ?? 'terraform', args, {
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
