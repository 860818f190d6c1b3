/**
 * Runs the rules over one stack's model and applies that environment's waivers.
 */
import type { PolicyWaiver } from '../../config/policy-waivers';
import type { TfModel } from './model';
import { type Evaluation, type PolicyRule, RULE_IDS, RULES } from './rules';

/** A waiver needs a reason a reviewer can judge: a sentence, not a word. */
const MIN_REASON_LENGTH = 20;

export interface PolicyResult {
  readonly rule: PolicyRule;
  readonly evaluation: Evaluation;
  readonly constructPath?: string;
  /** Set when a waiver accepts this failure. */
  readonly waiver?: PolicyWaiver;
}

export interface StackReport {
  readonly stack: string;
  readonly file: string;
  readonly source: TfModel['source'];
  readonly results: readonly PolicyResult[];
  /** Waivers that matched no failure: the rule passes now, so the waiver can go. */
  readonly unusedWaivers: readonly PolicyWaiver[];
  /** Failures no waiver accepts. */
  readonly failures: number;
}

/**
 * Checks the waiver config: every environment named exists, every rule id is known, every waiver has a
 * reason. Throws one error listing every problem.
 */
export function validateWaivers(
  waivers: Readonly<Record<string, readonly PolicyWaiver[]>>,
  environments: readonly string[],
): void {
  const problems: string[] = [];
  for (const [env, list] of Object.entries(waivers)) {
    if (!environments.includes(env)) {
      problems.push(`waivers for '${env}': no such environment (known: ${environments.join(', ')})`);
    }
    list.forEach((w, i) => {
      const where = `waivers.${env}[${i}]`;
      if (!RULE_IDS.has(w.rule)) problems.push(`${where}: unknown rule id '${w.rule}'`);
      const reason = typeof w.reason === 'string' ? w.reason.trim() : '';
      if (reason.length < MIN_REASON_LENGTH) {
        problems.push(
          `${where} (${w.rule}): a waiver needs a written reason of at least ${MIN_REASON_LENGTH} characters (got ${JSON.stringify(w.reason ?? null)})`,
        );
      }
      if (w.resource !== undefined && w.resource.trim() === '') problems.push(`${where} (${w.rule}): empty 'resource'`);
    });
  }
  if (problems.length > 0) throw new Error(`invalid policy waivers:\n  ${problems.join('\n  ')}`);
}

/** A waiver's `resource` is an address or a construct path (or a prefix of one, at a `/`). */
function matches(waiver: PolicyWaiver, address: string, constructPath: string | undefined): boolean {
  if (waiver.resource === undefined) return true;
  if (waiver.resource === address) return true;
  return (
    constructPath !== undefined &&
    (constructPath === waiver.resource || constructPath.startsWith(`${waiver.resource}/`))
  );
}

export function evaluateStack(
  stack: string,
  model: TfModel,
  options: { readonly waivers?: readonly PolicyWaiver[]; readonly stickinessRequested?: boolean } = {},
): StackReport {
  const waivers = options.waivers ?? [];
  const used = new Set<PolicyWaiver>();
  const pathOf = new Map(model.resources.map((r) => [r.address, r.constructPath]));
  const results: PolicyResult[] = [];
  for (const rule of RULES) {
    for (const evaluation of rule.check({ model, stickinessRequested: options.stickinessRequested ?? false })) {
      const constructPath = pathOf.get(evaluation.address);
      const waiver =
        evaluation.status === 'fail'
          ? waivers.find((w) => w.rule === rule.id && matches(w, evaluation.address, constructPath))
          : undefined;
      if (waiver !== undefined) used.add(waiver);
      results.push({
        rule,
        evaluation,
        ...(constructPath === undefined ? {} : { constructPath }),
        ...(waiver === undefined ? {} : { waiver }),
      });
    }
  }
  return {
    stack,
    file: model.file,
    source: model.source,
    results,
    unusedWaivers: waivers.filter((w) => !used.has(w)),
    failures: results.filter((r) => r.evaluation.status === 'fail' && r.waiver === undefined).length,
  };
}
