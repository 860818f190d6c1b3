/**
 * The hand-off bundle: deterministic bytes, a checksum manifest that verifies, and HCL that terraform accepts
 * (`fmt -check`, a plan with no error or warning) with the same resource graph and plan as the JSON it came from.
 *
 * Terraform runs offline against the local provider mirror (tools/terraform/toolchain.ts). The stacks pin
 * hashicorp/aws 6.25.0, which the mirror does not hold: scratch copies pin the mirror's version instead.
 * Plans and graphs of the HCL and the JSON come from one offline workspace (tools/terraform).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS } from '../../config/environments';
import { STATE_BOOTSTRAP_STACK } from '../../main';
import { BLOCK_SCHEMA, buildBundles, writeBundles } from '../../tools/handoff/bundle';
import { usedTypes } from '../../tools/hcl/gen-block-schema';
import { loadStacks } from '../../tools/stacks';
import { type GraphModule, moduleGraphs } from '../../testkit/terraform/module-graphs';
import {
  formatDiagnostics,
  offlineStack,
  OfflineWorkspace,
  type PlanJson,
  realPlanRun,
  requiredVariables,
  type StackJson,
  type TestReport,
} from '../../tools/terraform';

/** The stacks of the app, as `npm run synth` writes them: the state bucket's and one per environment. */
const STACKS = [STATE_BOOTSTRAP_STACK, ...Object.keys(ENVIRONMENTS)];

let work: string;
let bundles: ReturnType<typeof buildBundles>;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-test-'));
  bundles = buildBundles(loadStacks({ outdir: path.join(work, 'out1') }));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('one bundle per stack of the app (the state bucket and each environment) with the documented files', () => {
  expect([...bundles.keys()].sort()).toEqual([...STACKS].sort());
  for (const files of bundles.values()) {
    expect([...files.keys()].sort()).toEqual([
      'README.md',
      'SHA256SUMS',
      'hcl/main.tf',
      'json/cdk.tf.json',
      'policy.json',
    ]);
  }
});

test('two runs (each synthesizing afresh) write identical bytes', () => {
  const again = buildBundles(loadStacks({ outdir: path.join(work, 'out2') }));
  const [a, b] = [path.join(work, 'a'), path.join(work, 'b')];
  writeBundles(bundles, a);
  writeBundles(again, b);
  const read = (root: string): Record<string, string> =>
    Object.fromEntries(
      (fs.readdirSync(root, { recursive: true }) as string[])
        .filter((f) => fs.statSync(path.join(root, f)).isFile())
        .sort()
        .map((f) => [f, fs.readFileSync(path.join(root, f), 'utf8')]),
    );
  const first = read(a);
  expect(Object.keys(first).length).toBe(5 * bundles.size);
  expect(read(b)).toEqual(first);
});

test('SHA256SUMS lists every other file with its digest', () => {
  for (const files of bundles.values()) {
    const lines = (files.get('SHA256SUMS') ?? '').trimEnd().split('\n');
    expect(lines.map((l) => l.split('  ')[1])).toEqual(['README.md', 'hcl/main.tf', 'json/cdk.tf.json', 'policy.json']);
    for (const line of lines) {
      const [digest, name] = line.split('  ') as [string, string];
      expect(
        createHash('sha256')
          .update(files.get(name) ?? '')
          .digest('hex'),
      ).toBe(digest);
    }
  }
});

test('the README states the timing values, the variables and every waiver reason', () => {
  const files = bundles.get('staging');
  const readme = files?.get('README.md') ?? '';
  expect(readme).toContain('| ALB idle timeout | `aws_lb.idle_timeout` | 120 s |');
  expect(readme).toContain('| Deregistration delay | `aws_lb_target_group.deregistration_delay` | 41 s |');
  expect(readme).toMatch(/\| `image_tag` \| `string` \| none: required/);
  const policy = JSON.parse(files?.get('policy.json') ?? '{}') as {
    stacks: { results: { waiver?: { reason: string } }[] }[];
  };
  const reasons = new Set(policy.stacks[0]?.results.flatMap((r) => (r.waiver === undefined ? [] : [r.waiver.reason])));
  expect(reasons.size).toBeGreaterThan(0);
  for (const reason of reasons) expect(readme).toContain(reason);
});

test('the state-bootstrap README tells how to apply it first and keep its state, with no service steps', () => {
  const readme = bundles.get(STATE_BOOTSTRAP_STACK)?.get('README.md') ?? '';
  expect(readme).toContain('Apply it once, before the first');
  expect(readme).toMatch(/State backend: `local` at `[^`]+terraform\.state-bootstrap\.tfstate`.*keep this file/);
  expect(readme).toContain('| `aws_s3_bucket` | 1 | StateBucket/Bucket |');
  expect(readme).toContain('| `state_bucket_name` |');
  expect(readme).toContain('terraform plan -out plan.bin');
  // No image, no load balancer: the service's variables, timing and push steps do not belong here.
  expect(readme).not.toMatch(/image_tag|WebSocket timing|docker push/);
});

test('the block schema covers every resource and data source type the constructs import', () => {
  const { resource, data } = usedTypes();
  expect(resource.filter((t) => BLOCK_SCHEMA.resource[t] === undefined)).toEqual([]);
  expect(data.filter((t) => BLOCK_SCHEMA.data[t] === undefined)).toEqual([]);
});

type StackDoc = {
  terraform: { backend: Record<string, Record<string, unknown>> };
  resource?: Record<string, Record<string, unknown>>;
  data?: Record<string, Record<string, unknown>>;
};
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Terraform reads the HCL as it reads the JSON. Both files of each stack are planned offline in one
 * `terraform test` (real provider, data sources overridden, no AWS; tools/terraform): each plan passes with
 * no error or warning (what `terraform validate` would report is reported by the plan too), and both give the
 * same resource addresses, actions and planned values. One `terraform graph` of all of them (a root calling
 * each as a module) gives the dependency edges, which planned values do not show: the HCL's must be the
 * JSON's. The HCL's provider block gets the offline settings from an override file, as the JSON's scratch
 * copy has them written in.
 */
describe('terraform reads the HCL as it reads the JSON', () => {
  let workspace: OfflineWorkspace;
  let report: TestReport;
  let graphs: Map<string, string[]>;
  const files = new Map<string, string>();

  beforeAll(async () => {
    const started = Date.now();
    workspace = await OfflineWorkspace.create({ pinnedVersion: '6.25.0', shareProvider: true });
    const version = workspace.toolchain.provider.version;
    const graphModules: Record<string, GraphModule> = {};
    for (const stack of STACKS) {
      const json = JSON.parse(bundles.get(stack)?.get('json/cdk.tf.json') ?? '{}') as StackJson;
      const variables = requiredVariables(json, 'v1.0.0');
      const hclDir = path.join(workspace.dir, 'stacks', `${stack}-hcl`);
      fs.mkdirSync(hclDir, { recursive: true });
      const hcl = (bundles.get(stack)?.get('hcl/main.tf') ?? '').replace(/"6\.25\.0"/g, JSON.stringify(version));
      fs.writeFileSync(path.join(hclDir, 'main.tf'), hcl);
      const offline = offlineStack(json, version);
      fs.writeFileSync(
        path.join(hclDir, 'offline_override.tf.json'),
        JSON.stringify({ provider: { aws: offline.provider.aws }, terraform: { backend: { local: {} } } }),
      );
      const jsonModule = workspace.addStack(`${stack}-json`, json);
      const hclModule = `./stacks/${stack}-hcl`;
      const runs = [realPlanRun('json', jsonModule, json, variables), realPlanRun('hcl', hclModule, json, variables)];
      files.set(stack, workspace.addTestFile(`equivalence-${stack}`, { runs }));
      graphModules[`${stack}-json`] = { source: jsonModule, variables };
      graphModules[`${stack}-hcl`] = { source: hclModule, variables };
    }
    await workspace.init();
    report = await workspace.test([...files.values()]);
    graphs = await moduleGraphs(workspace, graphModules);
    console.log(
      `HCL and JSON plans and graphs with ${workspace.toolchain.description}: ${(Date.now() - started) / 1000} s`,
    );
  }, 600_000);

  afterAll(() => workspace?.dispose());

  test.each(STACKS)('%s: fmt -check, plans with no error or warning, and the same graph as the JSON', async (stack) => {
    const fmt = await workspace.run(['fmt', '-check', '-diff', '-no-color', 'main.tf'], {
      cwd: `stacks/${stack}-hcl`,
    });
    expect({ code: fmt.code, diff: fmt.stdout, stderr: fmt.stderr }).toEqual({ code: 0, diff: '', stderr: '' });

    const file = files.get(stack)!;
    for (const name of ['json', 'hcl']) {
      const run = report.runs.get(`${file}/${name}`);
      // Warnings too: a deprecated argument in the HCL fails here, as `validate` counted it.
      expect({
        run: name,
        status: run?.status,
        diagnostics: formatDiagnostics(run?.diagnostics ?? report.diagnostics),
      }).toEqual({
        run: name,
        status: 'pass',
        diagnostics: '',
      });
    }

    const hclGraph = graphs.get(`${stack}-hcl`) ?? [];
    expect(hclGraph).toEqual(graphs.get(`${stack}-json`));
    // Not an empty graph: every resource and data source of the JSON is one of its nodes.
    const doc = JSON.parse(bundles.get(stack)?.get('json/cdk.tf.json') ?? '{}') as StackDoc;
    const addresses = [
      ...Object.entries(doc.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`)),
      ...Object.entries(doc.data ?? {}).flatMap(([type, byName]) =>
        Object.keys(byName).map((n) => `data.${type}.${n}`),
      ),
    ];
    expect(addresses.length).toBeGreaterThan(0);
    const nodes = new Set(hclGraph.map((l) => /^"([^"]+)"/.exec(l)?.[1]));
    expect(addresses.filter((a) => !nodes.has(a))).toEqual([]);

    // The override hides the backend from terraform: the HCL must carry the JSON's backend itself.
    const hclText = bundles.get(stack)?.get('hcl/main.tf') ?? '';
    for (const [type, settings] of Object.entries(doc.terraform.backend)) {
      expect(hclText).toContain(`backend "${type}" {`);
      for (const [key, value] of Object.entries(settings)) {
        expect(hclText).toMatch(new RegExp(`^\\s*${key}\\s*=\\s*${escapeRegExp(JSON.stringify(value))}$`, 'm'));
      }
    }
  });

  /** Address -> actions, planned values and what is unknown, of every resource change. */
  const changes = (plan: PlanJson | undefined) =>
    Object.fromEntries(
      (plan?.resource_changes ?? []).map((rc) => [
        rc.address,
        { actions: rc.change.actions, after: rc.change.after, unknown: rc.change.after_unknown },
      ]),
    );

  test.each(STACKS)('%s: same addresses, actions and planned values', (stack) => {
    const file = files.get(stack)!;
    const [json, hcl] = ['json', 'hcl'].map((run) => report.runs.get(`${file}/${run}`));
    const jsonChanges = changes(json?.plan);
    expect(Object.keys(jsonChanges).length).toBeGreaterThan(0);
    expect(changes(hcl?.plan)).toEqual(jsonChanges);
  });
});
