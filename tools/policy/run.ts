/**
 * The policy check of every stack (or of a plan), with each environment's waivers. Shared by the CLI and the
 * hand-off bundle.
 */
import * as fs from 'node:fs';
import { ENVIRONMENTS } from '../../config/environments';
import { POLICY_WAIVERS, type PolicyWaiver } from '../../config/policy-waivers';
import type { SynthesizedStack } from '../stacks';
import { evaluateStack, type StackReport, validateWaivers } from './evaluate';
import { modelFromConfig, modelFromPlan, type TfModel } from './model';

function optionsFor(stack: string): { waivers: readonly PolicyWaiver[]; stickinessRequested: boolean } {
  return {
    waivers: POLICY_WAIVERS[stack] ?? [],
    stickinessRequested: ENVIRONMENTS[stack]?.targetGroup?.stickinessCookieDurationSeconds !== undefined,
  };
}

/** Checks each synthesized stack against the rules and its environment's waivers. */
export function checkStacks(stacks: readonly SynthesizedStack[]): { reports: StackReport[]; models: TfModel[] } {
  validateWaivers(POLICY_WAIVERS, Object.keys(ENVIRONMENTS));
  const models = stacks.map((s) => modelFromConfig(s.doc, s.file, s.text));
  const reports = stacks.map((s, i) => evaluateStack(s.name, models[i] as TfModel, optionsFor(s.name)));
  return { reports, models };
}

/**
 * The plan's resources with the construct paths of the synthesized stack they were planned from: a plan
 * carries no cdktf metadata, and waivers (and the report) name resources by construct path. An instance
 * (`aws_route53_record.x["a.example.com"]`) takes its resource's path.
 */
export function withConstructPaths(plan: TfModel, config: TfModel): TfModel {
  const pathOf = new Map(config.resources.map((r) => [r.address, r.constructPath]));
  return {
    ...plan,
    resources: plan.resources.map((r) => {
      const constructPath = r.constructPath ?? pathOf.get(r.address.replace(/\[[^\]]*\]$/, ''));
      return constructPath === undefined ? r : { ...r, constructPath };
    }),
  };
}

/**
 * Checks a `terraform show -json` plan of environment `stack`. `synthesized`: the stack it was planned from,
 * whose construct paths let waivers that name a construct apply to the plan's resources.
 */
export function checkPlan(planFile: string, stack: string, synthesized?: SynthesizedStack): StackReport {
  validateWaivers(POLICY_WAIVERS, Object.keys(ENVIRONMENTS));
  const doc: unknown = JSON.parse(fs.readFileSync(planFile, 'utf8'));
  const plan = modelFromPlan(doc, planFile);
  const model =
    synthesized === undefined
      ? plan
      : withConstructPaths(plan, modelFromConfig(synthesized.doc, synthesized.file, synthesized.text));
  return evaluateStack(stack, model, optionsFor(stack));
}
