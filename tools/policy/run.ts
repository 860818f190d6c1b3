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

/** Checks a `terraform show -json` plan of environment `stack`. */
export function checkPlan(planFile: string, stack: string): StackReport {
  validateWaivers(POLICY_WAIVERS, Object.keys(ENVIRONMENTS));
  const doc: unknown = JSON.parse(fs.readFileSync(planFile, 'utf8'));
  return evaluateStack(stack, modelFromPlan(doc, planFile), optionsFor(stack));
}
