/**
 * `npm run policy -- --plan <file>` reads `terraform show -json <planfile>` (tools/policy/model.ts). What it
 * cannot read is refused naming the file and what it needs, rather than checked as an empty stack.
 */
import { modelFromPlan } from '../../../tools/policy/model';

describe('modelFromPlan', () => {
  test("refuses the plan `terraform test` reports (npm run plan -- --offline's plan.json), saying why", () => {
    const offline = { plan_format_version: '1.2', resource_changes: [], output_changes: {}, relevant_attributes: [] };
    expect(() => modelFromPlan(offline, 'cdktf.out/plan/staging/plan.json')).toThrow(
      'cdktf.out/plan/staging/plan.json: a plan with resource changes only, as `terraform test` reports one',
    );
  });

  test('refuses a document that is no plan', () => {
    expect(() => modelFromPlan({ resource: {} }, 'cdk.tf.json')).toThrow(
      'cdk.tf.json: not a plan (expected the output of "terraform show -json <planfile>")',
    );
    expect(() => modelFromPlan([], 'x.json')).toThrow('x.json: not a plan');
  });
});
