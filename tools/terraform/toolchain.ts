/**
 * The Terraform toolchain of an offline plan: the `terraform` binary, where the hashicorp/aws provider comes
 * from (a local filesystem mirror when one is present, the public registry otherwise) and the CLI
 * configuration file that says so. A registry download goes through a shared plugin cache, so `terraform init`
 * downloads a provider once per machine; a mirror is linked in place with no cache, so concurrent inits (jest
 * workers) share nothing they write.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const AWS_PROVIDER = 'registry.terraform.io/hashicorp/aws';

/** Terraform that has `terraform test` with mock providers, `override_during` and `state_key`. */
export const MIN_TERRAFORM_VERSION = '1.11.0';

/** Where Terraform's own docs and packagers put filesystem mirrors; `TF_PROVIDER_MIRROR` comes first. */
const MIRROR_CANDIDATES = [
  '/opt/tf-plugins',
  '/usr/share/terraform/plugins',
  '/usr/local/share/terraform/plugins',
  path.join(os.homedir(), '.terraform.d', 'plugins'),
  path.join(os.homedir(), '.local', 'share', 'terraform', 'plugins'),
];

export interface ProviderSource {
  /** 'mirror': a local filesystem mirror; 'registry': downloaded by `terraform init`. */
  readonly kind: 'mirror' | 'registry';
  /** The hashicorp/aws version every stack is pinned to in the scratch copy. */
  readonly version: string;
  /** The mirror directory (the one holding `registry.terraform.io/`), for kind 'mirror'. */
  readonly mirror?: string;
}

export interface Toolchain {
  readonly terraform: string;
  readonly terraformVersion: string;
  readonly provider: ProviderSource;
  /** CLI configuration file to pass as TF_CLI_CONFIG_FILE. */
  readonly cliConfigFile: string;
  /** One line for logs and reports: "terraform 1.11.4, hashicorp/aws 5.100.0 from the mirror /opt/tf-plugins". */
  readonly description: string;
}

/** Why the toolchain cannot be used; the test runner turns it into a failure (CI) or a skip. */
export class ToolchainUnavailable extends Error {}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The `terraform` on PATH (or $TERRAFORM) and its version; throws ToolchainUnavailable when missing or too old. */
export function findTerraform(env: NodeJS.ProcessEnv = process.env): { terraform: string; version: string } {
  const terraform = env.TERRAFORM ?? 'terraform';
  let raw: string;
  try {
    raw = execFileSync(terraform, ['version', '-json'], {
      encoding: 'utf8',
      env: { ...env, CHECKPOINT_DISABLE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    throw new ToolchainUnavailable(
      `terraform not found or not runnable (${terraform}): ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const version = (JSON.parse(raw) as { terraform_version: string }).terraform_version;
  if (compareVersions(version, MIN_TERRAFORM_VERSION) < 0) {
    throw new ToolchainUnavailable(`terraform ${version} is older than ${MIN_TERRAFORM_VERSION} (terraform test)`);
  }
  return { terraform, version };
}

/** Versions of hashicorp/aws for this platform in an unpacked or packed filesystem mirror, newest first. */
export function mirroredAwsVersions(mirror: string): string[] {
  const dir = path.join(mirror, AWS_PROVIDER);
  if (!fs.existsSync(dir)) return [];
  const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
  const versions = new Set<string>();
  for (const entry of fs.readdirSync(dir)) {
    const unpacked = /^\d+\.\d+\.\d+$/.test(entry) && fs.existsSync(path.join(dir, entry, platform));
    const packed = /^terraform-provider-aws_(\d+\.\d+\.\d+)_(.+)\.zip$/.exec(entry);
    if (unpacked) versions.add(entry);
    if (packed && packed[2] === platform) versions.add(packed[1]);
  }
  return [...versions].sort((a, b) => compareVersions(b, a));
}

/**
 * Where hashicorp/aws comes from: the newest version in the first mirror that has one, else the registry at
 * `registryVersion` (the version the stacks pin).
 */
export function findProviderSource(registryVersion: string, env: NodeJS.ProcessEnv = process.env): ProviderSource {
  const candidates = env.TF_PROVIDER_MIRROR ? [env.TF_PROVIDER_MIRROR] : MIRROR_CANDIDATES;
  for (const mirror of candidates) {
    const [newest] = mirroredAwsVersions(mirror);
    if (newest !== undefined) return { kind: 'mirror', version: newest, mirror };
  }
  return { kind: 'registry', version: registryVersion };
}

/** Shared plugin cache: providers downloaded from the registry once per machine, not once per scratch dir. */
export function pluginCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TF_PLUGIN_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'ws-graphql-aws', 'terraform-plugins');
}

/** The CLI configuration (HCL) for a provider source. */
export function cliConfig(provider: ProviderSource, cacheDir: string): string {
  const lines: string[] = [];
  if (provider.kind === 'mirror') {
    // Used in place: init links .terraform/providers straight to the mirror. A plugin cache here would be
    // rewritten by every init, and Terraform does not make the cache safe for concurrent inits.
    lines.push(
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(provider.mirror)}`,
      `    include = [${JSON.stringify(AWS_PROVIDER)}]`,
      '  }',
      '  direct {',
      `    exclude = [${JSON.stringify(AWS_PROVIDER)}]`,
      '  }',
      '}',
    );
  }
  if (provider.kind === 'registry') lines.push(`plugin_cache_dir = ${JSON.stringify(cacheDir)}`);
  lines.push('');
  return lines.join('\n');
}

/**
 * Finds terraform and the provider and writes the CLI configuration into `dir`. `pinnedVersion` is the
 * hashicorp/aws version the synthesized stacks ask for: used when the provider comes from the registry.
 */
export function prepareToolchain(dir: string, pinnedVersion: string, env: NodeJS.ProcessEnv = process.env): Toolchain {
  const { terraform, version } = findTerraform(env);
  const provider = findProviderSource(pinnedVersion, env);
  const cacheDir = pluginCacheDir(env);
  if (provider.kind === 'registry') fs.mkdirSync(cacheDir, { recursive: true });
  fs.mkdirSync(dir, { recursive: true });
  const cliConfigFile = path.join(dir, 'terraform.tfrc');
  fs.writeFileSync(cliConfigFile, cliConfig(provider, cacheDir));
  const from = provider.kind === 'mirror' ? `the filesystem mirror ${provider.mirror}` : 'the Terraform registry';
  return {
    terraform,
    terraformVersion: version,
    provider,
    cliConfigFile,
    description: `terraform ${version}, hashicorp/aws ${provider.version} from ${from}`,
  };
}
