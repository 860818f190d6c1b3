/**
 * The default stacks pass with their waivers; waivers are checked; the SARIF output is valid SARIF 2.1.0.
 *
 * The schema is the SARIF 2.1.0 (rtm.5) JSON schema as shipped in the npm package @microsoft/jest-sarif,
 * vendored so the test runs offline; see tools/policy/schemas/README.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import draft04 from 'ajv/lib/refs/json-schema-draft-04.json';
import { ENVIRONMENTS } from '../../config/environments';
import { POLICY_WAIVERS } from '../../config/policy-waivers';
import { STATE_BOOTSTRAP_STACK } from '../../main';
import { evaluateStack, type StackReport, validateWaivers } from '../../tools/policy/evaluate';
import { modelFromConfig } from '../../tools/policy/model';
import { formatTable, toJson, toSarif } from '../../tools/policy/report';
import { checkStacks } from '../../tools/policy/run';
import { loadStacks } from '../../tools/stacks';

let reports: StackReport[];
let lines: Map<string, ReadonlyMap<string, number>>;
let outdir: string;
beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-report-'));
  const result = checkStacks(loadStacks({ outdir }));
  reports = result.reports;
  lines = new Map(result.models.map((m) => [m.file, m.lines]));
});
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

function sarifValidator() {
  // The schema is draft-04 (`id`): only its meta-schema is added, not ajv's default draft-07 one.
  const ajv = new Ajv({ schemaId: 'id', allErrors: true, meta: false });
  ajv.addMetaSchema(draft04);
  const schema: unknown = JSON.parse(
    fs.readFileSync(path.join(__dirname, '../../tools/policy/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'),
  );
  return ajv.compile(schema as object);
}

test('every stack of the default app passes, every failure waived, no waiver unused', () => {
  expect(reports.map((r) => r.stack).sort()).toEqual([STATE_BOOTSTRAP_STACK, ...Object.keys(ENVIRONMENTS)].sort());
  for (const r of reports) {
    expect(r.failures).toBe(0);
    expect(r.unusedWaivers).toEqual([]);
    expect(r.results.filter((x) => x.evaluation.status === 'unknown')).toEqual([]);
  }
});

test('a failure without a waiver counts, and shows in the table', () => {
  const doc = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks/staging/cdk.tf.json'), 'utf8'));
  const lb = Object.values(doc.resource.aws_lb)[0] as Record<string, unknown>;
  lb.idle_timeout = 20;
  const report = evaluateStack('staging', modelFromConfig(doc, 'x.json'), { waivers: POLICY_WAIVERS.staging ?? [] });
  // 2x keepalive (WSG-WS-001), and the service is still told 120 s (WSG-WS-007).
  expect(report.failures).toBe(2);
  const table = formatTable([report]);
  expect(table).toMatch(/^FAIL\s+WSG-WS-001\s+Service\/Service\/Service\s+idleTimeoutSeconds must be at least 2x/m);
  expect(table).toMatch(/^FAIL\s+WSG-WS-007\s/m);
});

test('an unknown rule id, a missing reason and an unknown environment are errors naming the waiver', () => {
  expect(() =>
    validateWaivers({ staging: [{ rule: 'WSG-AWS-999', reason: 'a reason that is long enough' }] }, ['staging']),
  ).toThrow("waivers.staging[0]: unknown rule id 'WSG-AWS-999'");
  expect(() => validateWaivers({ staging: [{ rule: 'WSG-AWS-002', reason: '  ' }] }, ['staging'])).toThrow(
    'waivers.staging[0] (WSG-AWS-002): a waiver needs a written reason',
  );
  expect(() => validateWaivers({ qa: [] }, ['staging'])).toThrow("waivers for 'qa': no such environment");
  expect(() => validateWaivers(POLICY_WAIVERS, Object.keys(ENVIRONMENTS))).not.toThrow();
});

test('SARIF output validates against the SARIF 2.1.0 schema, waived failures as accepted suppressions', () => {
  const validate = sarifValidator();
  const sarif = toSarif(reports, (f, a) => lines.get(f)?.get(a)) as {
    runs: {
      results: {
        ruleId: string;
        suppressions?: unknown[];
        locations: { physicalLocation: { region?: { startLine: number } } }[];
      }[];
    }[];
  };
  expect(validate(sarif)).toBe(true);
  const results = sarif.runs[0]?.results ?? [];
  expect(results.length).toBe(
    reports.reduce((n, r) => n + r.results.filter((x) => x.evaluation.status === 'fail').length, 0),
  );
  expect(results.every((r) => r.suppressions?.length === 1)).toBe(true);
  expect(results.every((r) => (r.locations[0]?.physicalLocation.region?.startLine ?? 0) > 1)).toBe(true);
});

test('the schema check can fail: a result without a message is rejected', () => {
  const validate = sarifValidator();
  const sarif = toSarif(reports, () => undefined) as { runs: { results: Record<string, unknown>[] }[] };
  delete sarif.runs[0]?.results[0]?.message;
  expect(validate(sarif)).toBe(false);
});

test('JSON output lists every rule with its scanner equivalents', () => {
  const json = toJson(reports) as { rules: { id: string; equivalents: { checkov: string[]; trivy: string[] } }[] };
  expect(json.rules.find((r) => r.id === 'WSG-AWS-001')?.equivalents).toEqual({
    checkov: ['CKV_AWS_131'],
    trivy: ['AVD-AWS-0052'],
  });
  expect(json.rules.every((r) => /^WSG-(AWS|WS|INV)-\d{3}$/.test(r.id))).toBe(true);
});
