/**
 * Reading and rewriting a synthesized stack (`cdk.tf.json`) for an offline plan: the stack's own provider
 * block gets fake credentials and the `skip_*` flags that keep the provider from calling AWS at start-up,
 * the pin is set to the provider version at hand, and the backend goes (the scratch copy keeps no state).
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StackJson = Record<string, any>;

/** Credentials of no account: the provider needs some, and these can sign nothing that AWS accepts. */
export const FAKE_CREDENTIALS = { access_key: 'AKIAOFFLINEPLAN00000', secret_key: 'offline-plan-not-a-secret' };

/** The provider settings that stop start-up calls (STS, the metadata service, region lookup). */
export const SKIP_FLAGS = {
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  skip_region_validation: true,
};

/** A resource or data source of a stack: `aws_lb.Service_LoadBalancer_D381012F`. */
export interface Block {
  readonly kind: 'resource' | 'data';
  readonly type: string;
  readonly name: string;
  /** The address Terraform uses: `aws_lb.X` or `data.aws_region.Y`. */
  readonly address: string;
  readonly body: StackJson;
}

/** Every resource and data source of a stack, in file order. */
export function blocks(stack: StackJson): Block[] {
  const found: Block[] = [];
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries((stack[kind] ?? {}) as Record<string, StackJson>)) {
      for (const [name, body] of Object.entries(byName as Record<string, StackJson>)) {
        const address = `${kind === 'data' ? 'data.' : ''}${type}.${name}`;
        found.push({ kind, type, name, address, body: body as StackJson });
      }
    }
  }
  return found;
}

/** Blocks of one type. */
export function blocksOfType(stack: StackJson, type: string, kind: 'resource' | 'data' = 'resource'): Block[] {
  return blocks(stack).filter((b) => b.kind === kind && b.type === type);
}

/** The one block of a type; throws naming the type and what was found otherwise. */
export function onlyBlock(stack: StackJson, type: string, kind: 'resource' | 'data' = 'resource'): Block {
  const found = blocksOfType(stack, type, kind);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} ${type}, found ${found.map((b) => b.address).join(', ') || 'none'}`);
  }
  return found[0];
}

/** The hashicorp/aws version the stack pins (`required_providers.aws.version`). */
export function pinnedAwsVersion(stack: StackJson): string {
  const version = stack.terraform?.required_providers?.aws?.version as string | undefined;
  if (version === undefined) throw new Error('the stack pins no hashicorp/aws version (terraform.required_providers)');
  return version.replace(/^[=\s]+/, '');
}

/** The stack's region, from its (first) aws provider block. */
export function stackRegion(stack: StackJson): string {
  const providers = stack.provider?.aws as StackJson[] | undefined;
  const region = providers?.[0]?.region as string | undefined;
  if (region === undefined) throw new Error('the stack has no aws provider block with a region');
  return region;
}

/**
 * A copy of the stack for an offline plan with hashicorp/aws `providerVersion`: fake credentials and skip
 * flags merged into every aws provider block (its region, tags and the rest stay), the pin set to
 * `providerVersion`, the backend removed. The input is not changed.
 */
export function offlineStack(stack: StackJson, providerVersion: string): StackJson {
  const copy = structuredClone(stack);
  const providers = copy.provider?.aws as StackJson[] | undefined;
  if (!providers || providers.length === 0) throw new Error('the stack has no aws provider block');
  copy.provider.aws = providers.map((p) => ({ ...p, ...FAKE_CREDENTIALS, ...SKIP_FLAGS }));
  copy.terraform = { ...copy.terraform };
  delete copy.terraform.backend;
  copy.terraform.required_providers = {
    ...copy.terraform.required_providers,
    aws: { ...copy.terraform.required_providers?.aws, source: 'hashicorp/aws', version: providerVersion },
  };
  return copy;
}
