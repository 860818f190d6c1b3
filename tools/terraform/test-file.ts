/**
 * Writes `terraform test` files (HCL): run blocks that plan a stack with the real provider, or apply it
 * against `mock_provider "aws"`, each with every data source of its stack overridden and optional
 * assertions. Values are rendered as HCL literals; conditions and targets are HCL expressions as given.
 */
import { dataSourceValues, mockResourceDefaults } from './fakes';
import { blocks, stackRegion, type StackJson } from './stack-json';

/** An HCL literal of a JSON value (HCL's object and tuple syntax accepts JSON's); templates are escaped. */
export function hclValue(value: unknown): string {
  return JSON.stringify(value).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
}

export interface Assertion {
  /** HCL expression, true when the assertion holds. */
  readonly condition: string;
  readonly errorMessage: string;
}

export interface RunBlock {
  /** Run name: letters, digits, `_` and `-`. */
  readonly name: string;
  readonly command: 'plan' | 'apply';
  /** 'real': the stack's own provider block; 'mock': the file's `mock_provider "aws"`. */
  readonly provider: 'real' | 'mock';
  /** Directory of the stack's configuration, relative to the test root (`./stacks/staging`). */
  readonly module: string;
  /** The stack as written there: its data sources are overridden. */
  readonly stack: StackJson;
  readonly variables?: Readonly<Record<string, unknown>>;
  /** Runs with the same key share state (in file order); default: one state per module. */
  readonly stateKey?: string;
  /** false: plan against the state as it is, without asking the provider to read the resources again. */
  readonly refresh?: boolean;
  /** Checkable objects expected to fail (`check.timing`, `var.image_tag`). */
  readonly expectFailures?: readonly string[];
  readonly assertions?: readonly Assertion[];
  /** Values for resources instead of the provider's (`override_resource`): computed attributes only. */
  readonly overrideResources?: readonly { readonly target: string; readonly values: StackJson }[];
}

export interface TestFile {
  /** Stacks whose resource types the mock provider needs defaults for (one of each type is enough). */
  readonly mockedStacks?: readonly StackJson[];
  readonly runs: readonly RunBlock[];
}

function mockProvider(stacks: readonly StackJson[]): string[] {
  const byType = new Map<string, { defaults: StackJson; planTime: boolean }>();
  for (const stack of stacks) {
    const region = stackRegion(stack);
    for (const block of blocks(stack)) {
      if (block.kind !== 'resource' || byType.has(block.type)) continue;
      const mock = mockResourceDefaults(block, region);
      if (mock) byType.set(block.type, mock);
    }
  }
  const lines = ['mock_provider "aws" {', '  alias = "mock"'];
  for (const [type, { defaults, planTime }] of byType) {
    lines.push(`  mock_resource ${JSON.stringify(type)} {`);
    if (planTime) lines.push('    override_during = plan');
    lines.push(`    defaults = ${hclValue(defaults)}`, '  }');
  }
  lines.push('}', '');
  return lines;
}

function runBlock(run: RunBlock): string[] {
  if (!/^[A-Za-z0-9_-]+$/.test(run.name)) throw new Error(`run name "${run.name}" must be letters, digits, _ or -`);
  const lines = [`run ${JSON.stringify(run.name)} {`, `  command = ${run.command}`];
  lines.push(`  module {`, `    source = ${JSON.stringify(run.module)}`, '  }');
  if (run.provider === 'mock') lines.push('  providers = {', '    aws = aws.mock', '  }');
  if (run.stateKey !== undefined) lines.push(`  state_key = ${JSON.stringify(run.stateKey)}`);
  if (run.refresh === false) lines.push('  plan_options {', '    refresh = false', '  }');
  if (run.variables) {
    lines.push('  variables {');
    for (const [k, v] of Object.entries(run.variables)) lines.push(`    ${k} = ${hclValue(v)}`);
    lines.push('  }');
  }
  const region = stackRegion(run.stack);
  for (const block of blocks(run.stack)) {
    if (block.kind !== 'data') continue;
    lines.push(
      '  override_data {',
      `    target = ${block.address}`,
      `    values = ${hclValue(dataSourceValues(block, region))}`,
      '  }',
    );
  }
  for (const o of run.overrideResources ?? []) {
    lines.push('  override_resource {', `    target = ${o.target}`, `    values = ${hclValue(o.values)}`, '  }');
  }
  if (run.expectFailures?.length) lines.push(`  expect_failures = [${run.expectFailures.join(', ')}]`);
  for (const a of run.assertions ?? []) {
    lines.push('  assert {', `    condition     = ${a.condition}`, `    error_message = ${hclValue(a.errorMessage)}`);
    lines.push('  }');
  }
  lines.push('}', '');
  return lines;
}

/** The text of a `.tftest.hcl` file. */
export function renderTestFile(file: TestFile): string {
  const lines = ['# Written by tools/terraform: an offline plan of synthesized stacks.', ''];
  if (file.runs.some((r) => r.provider === 'mock'))
    lines.push(...mockProvider(file.mockedStacks ?? file.runs.map((r) => r.stack)));
  for (const run of file.runs) lines.push(...runBlock(run));
  return lines.join('\n');
}
