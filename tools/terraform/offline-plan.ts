/**
 * The offline plan of a set of stacks: each planned by `terraform test` with the real hashicorp/aws provider,
 * data sources overridden, AWS unreachable. What `npm test` runs for every stack, and what a command that
 * reviews a plan before hand-off can run.
 */
import { pinnedAwsVersion, type StackJson } from './stack-json';
import { type RunBlock } from './test-file';
import {
  type Diagnostic,
  OfflineWorkspace,
  planCounts,
  type PlanCounts,
  type PlanJson,
  type TestReport,
} from './workspace';

export interface StackPlan {
  readonly stack: string;
  /** pass | fail | error | skip, as `terraform test` reports the run. */
  readonly status: string;
  readonly counts?: PlanCounts;
  readonly plan?: PlanJson;
  readonly diagnostics: readonly Diagnostic[];
}

export interface OfflinePlanResult {
  /** "terraform 1.11.4, hashicorp/aws 5.100.0 from ..." */
  readonly toolchain: string;
  readonly providerVersion: string;
  readonly stacks: readonly StackPlan[];
  readonly report: TestReport;
}

/** A `command = plan` run of one stack with the real provider. */
export function realPlanRun(
  name: string,
  module: string,
  stack: StackJson,
  variables: Record<string, unknown> = {},
): RunBlock {
  return { name, command: 'plan', provider: 'real', module, stack, variables };
}

/** Variables a plan needs that the stack does not default: `image_tag` unless it has a default. */
export function requiredVariables(stack: StackJson, imageTag: string): Record<string, string> {
  const variables = (stack.variable ?? {}) as Record<string, { default?: unknown }>;
  return Object.fromEntries(
    Object.entries(variables)
      .filter(([, v]) => v.default === undefined)
      .map(([name]) => [name, name === 'image_tag' ? imageTag : 'offline-plan']),
  );
}

/**
 * Plans every stack offline in `workspace` (or a fresh one, removed afterwards). Never throws for a failed
 * plan: the result says which stack failed and Terraform's diagnostics.
 */
export async function offlinePlan(
  stacks: Readonly<Record<string, StackJson>>,
  options: { imageTag?: string; workspace?: OfflineWorkspace } = {},
): Promise<OfflinePlanResult> {
  const names = Object.keys(stacks);
  if (names.length === 0) throw new Error('offlinePlan: no stacks');
  const workspace =
    options.workspace ?? (await OfflineWorkspace.create({ pinnedVersion: pinnedAwsVersion(stacks[names[0]]) }));
  try {
    const runs = names.map((name) =>
      realPlanRun(
        'plan',
        workspace.addStack(name, stacks[name]),
        stacks[name],
        requiredVariables(stacks[name], options.imageTag ?? 'offline-plan'),
      ),
    );
    const files = names.map((name, i) => workspace.addTestFile(`plan-${name}`, { runs: [runs[i]] }));
    await workspace.init();
    const report = await workspace.test(files);
    const results = names.map((name, i): StackPlan => {
      const run = report.runs.get(`${files[i]}/plan`);
      return {
        stack: name,
        status: run?.status ?? 'error',
        diagnostics: [...(run?.diagnostics ?? []), ...report.diagnostics],
        ...(run?.plan ? { plan: run.plan, counts: planCounts(run.plan) } : {}),
      };
    });
    return {
      toolchain: workspace.toolchain.description,
      providerVersion: workspace.toolchain.provider.version,
      stacks: results,
      report,
    };
  } finally {
    if (options.workspace === undefined) workspace.dispose();
  }
}
