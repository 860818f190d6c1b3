/**
 * `npm run policy -- --plan <file> --stack <env>` on a real `terraform show -json` of the staging stack: planned
 * offline by `terraform plan -out` with the real hashicorp/aws provider, its data sources turned into locals
 * holding the offline runs' stand-in values (testkit/terraform/data-as-locals.ts), AWS unreachable. The plan
 * check must agree with the check of the synthesized JSON wherever the plan knows the value, and apply the
 * same waivers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS } from '../../config/environments';
import {
  dataAsLocals,
  OfflineWorkspace,
  pinnedAwsVersion,
  requiredVariables,
  type StackJson,
} from '../../testkit/terraform';
import { terraformDescribe } from '../../testkit/terraform/gate';
import { type StackReport } from '../../tools/policy/evaluate';
import { modelFromConfig, modelFromPlan } from '../../tools/policy/model';
import { checkPlan, checkStacks, withConstructPaths } from '../../tools/policy/run';
import { loadStacks, type SynthesizedStack } from '../../tools/stacks';

const STACK = 'staging';

/** `rule address` -> status, for every result of a report. */
const statuses = (report: StackReport) =>
  new Map(report.results.map((r) => [`${r.rule.id} ${r.evaluation.address}`, r.evaluation.status]));

terraformDescribe()('policy on a plan', () => {
  let scratch: string;
  let workspace: OfflineWorkspace;
  let synthesized: SynthesizedStack;
  let planFile: string;
  let fromPlan: StackReport;
  let fromConfig: StackReport;

  beforeAll(async () => {
    expect(Object.keys(ENVIRONMENTS)).toContain(STACK);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-on-plan-'));
    [synthesized] = loadStacks({ outdir: path.join(scratch, 'out'), only: [STACK] }) as [SynthesizedStack];
    const stack = synthesized.doc as StackJson;
    workspace = await OfflineWorkspace.create({ pinnedVersion: pinnedAwsVersion(stack), shareProvider: true });
    const dir = workspace.addStack(STACK, dataAsLocals(stack));
    const plan = await workspace.plan(dir, requiredVariables(stack, 'v1.2.3'));
    planFile = path.join(scratch, 'plan.json');
    fs.writeFileSync(planFile, JSON.stringify(plan));
    fromPlan = checkPlan(planFile, STACK, synthesized);
    fromConfig = checkStacks([synthesized]).reports[0]!;
  }, 300_000);

  afterAll(() => {
    workspace?.dispose();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('the staging plan passes, with the waivers its synthesized JSON uses', () => {
    expect(fromPlan.source).toBe('plan');
    expect(fromPlan.results.filter((r) => r.evaluation.status === 'fail' && !r.waiver)).toEqual([]);
    expect(fromPlan.unusedWaivers).toEqual(fromConfig.unusedWaivers);
    const waived = (r: StackReport) =>
      r.results.filter((x) => x.waiver).map((x) => `${x.rule.id} ${x.evaluation.address} ${x.constructPath}`);
    expect(waived(fromPlan).sort()).toEqual(waived(fromConfig).sort());
  });

  test('each result agrees with the check of the JSON, or is unknown until apply', () => {
    const config = statuses(fromConfig);
    const plan = statuses(fromPlan);
    expect([...config.keys()].filter((k) => !plan.has(k))).toEqual([]);
    const disagree = [...config].filter(([k, status]) => plan.get(k) !== status && plan.get(k) !== 'unknown');
    expect(disagree).toEqual([]);
    // Most are decided from the plan: only values AWS assigns (the image URL in the container definitions)
    // are unknown.
    const decided = [...plan.values()].filter((s) => s !== 'unknown').length;
    expect(decided).toBeGreaterThan(plan.size / 2);
  });

  test("each of the plan's resources gets its construct path from the JSON; an instance, its resource's", () => {
    const config = modelFromConfig(synthesized.doc, synthesized.file, synthesized.text);
    const plan = withConstructPaths(modelFromPlan(JSON.parse(fs.readFileSync(planFile, 'utf8')), planFile), config);
    const pathOf = new Map(config.resources.map((r) => [r.address, r.constructPath]));
    const keyed = plan.resources.filter((r) => /\]$/.test(r.address));
    expect(keyed.length).toBeGreaterThan(0);
    const wrong = plan.resources
      .map((r) => ({
        address: r.address,
        path: r.constructPath,
        expected: pathOf.get(r.address.replace(/\[[^\]]*\]$/, '')),
      }))
      .filter((r) => r.expected === undefined || r.path !== r.expected);
    expect(wrong).toEqual([]);
  });

  test('a waiver that names a construct path needs the synthesized stack: the plan alone has no paths', () => {
    const bare = checkPlan(planFile, STACK);
    const byPath = fromConfig.results.filter((r) => r.waiver?.resource !== undefined).map((r) => r.rule.id);
    expect(byPath.length).toBeGreaterThan(0);
    expect(bare.results.filter((r) => r.evaluation.status === 'fail' && !r.waiver).map((r) => r.rule.id)).toEqual(
      byPath,
    );
  });

  test('a value changed in the plan fails the rule that checks it (the plan is what is read)', () => {
    const plan = JSON.parse(fs.readFileSync(planFile, 'utf8')) as StackJson;
    const listeners = (plan.planned_values.root_module.resources as StackJson[]).filter(
      (r) => r.type === 'aws_lb_listener' && r.values.protocol === 'HTTPS',
    );
    expect(listeners).toHaveLength(1);
    listeners[0]!.values.ssl_policy = 'ELBSecurityPolicy-2016-08';
    const edited = path.join(scratch, 'edited.json');
    fs.writeFileSync(edited, JSON.stringify(plan));
    const report = checkPlan(edited, STACK, synthesized);
    expect(report.results.filter((r) => r.evaluation.status === 'fail' && !r.waiver).map((r) => r.rule.id)).toEqual([
      'WSG-INV-003',
    ]);
  });
});
