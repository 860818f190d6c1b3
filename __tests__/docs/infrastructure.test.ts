/**
 * docs/infrastructure.md stays true to the code: the generated inputs table matches the props' TSDoc, and
 * the deploy steps and outputs name what the default app synthesizes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS, STATE_BUCKET } from '../../config/environments';
import { STATE_BOOTSTRAP_STACK, synthesize } from '../../main';
import {
  fieldDefaults,
  INPUTS_END,
  INPUTS_START,
  renderInputsTable,
  withInputsTable,
} from '../../scripts/inputs-table';
import { allDocs, readDoc, section } from './markdown';

const DOC = 'docs/infrastructure.md';
const doc = readDoc(DOC);

describe(`${DOC}: inputs table`, () => {
  const table = renderInputsTable();

  test('is the one generated from WebSocketGraphqlStackProps (regenerate with `npm run docs:inputs`)', () => {
    expect(doc).toBe(withInputsTable(doc, table));
  });

  test('lists the required inputs first and every nested settings field', () => {
    const names = [...table.matchAll(/^\| `([\w.]+)` \|/gm)].map((m) => m[1]);
    expect(names.slice(0, 2)).toEqual(['domainName', 'region']);
    // scaling is an intersection (Omit<ServiceAutoscalingProps, ...> & Pick<...>): listed like the others.
    expect(names).toEqual(
      expect.arrayContaining(['timing.idleTimeoutSeconds', 'network.natGateways', 'imageTag', 'scaling.maxCount']),
    );
    expect(table).toMatch(/^\| `timing\.idleTimeoutSeconds` \| ALB idle timeout .* \| `number` \| `120` \| no \|$/m);
  });

  test("a field's default is the one the composite applies, where it sets one (@default - see X; `f`: ...)", () => {
    const defaultOf = (name: string) =>
      new RegExp(`^\\| \`${name.replace('.', '\\.')}\` \\|.*\\| ([^|]+) \\| no \\|$`, 'm').exec(table)?.[1];
    expect(defaultOf('loadBalancer.name')).toBe('the value of `name`');
    expect(defaultOf('targetGroup.name')).toBe('the value of `name`');
    expect(defaultOf('registry.repositoryName')).toBe('the value of `name`');
    expect(defaultOf('service.allowedOrigins')).toBe("`['https://<domainName>']`");
    // The inner construct's own default where the composite sets none.
    expect(defaultOf('registry.keepLastImages')).toMatch(/^`\d+`$/);
    expect(fieldDefaults('- see XProps; `a`: the value of `name`; `b`: `2`')).toEqual(
      new Map([
        ['a', 'the value of `name`'],
        ['b', '`2`'],
      ]),
    );
    expect(fieldDefaults('- a DNS-validated certificate is created').size).toBe(0);
    // A `;` in the prose or in a value is not an entry.
    expect(fieldDefaults('- see XProps (a; b); `a`: `["x; y"]`;')).toEqual(new Map([['a', '`["x; y"]`']]));
    expect(() => fieldDefaults('- see XProps; `name` is `name`')).toThrow(
      'inputs-table: "; `name`" in "@default - see XProps; `name` is `name`": expected `field`: value',
    );
    expect(() => fieldDefaults('- see XProps; `a`: ')).toThrow('"`a`:" in "@default - see XProps; `a`: "');
    expect(() => fieldDefaults('- see XProps; `a`: 1; `a`: 2')).toThrow('sets `a` twice');
    // A malformed entry after a valid one is not taken into its value.
    expect(() => fieldDefaults('- see XProps; `a`: 1; `b` is 2')).toThrow('"; `b`" in');
    expect(() => fieldDefaults('- see XProps; `a`: 1 `b`: 2')).toThrow('"`b`:" in');
  });

  test('the markers are in the doc, once each', () => {
    expect(doc.split(INPUTS_START)).toHaveLength(2);
    expect(doc.split(INPUTS_END)).toHaveLength(2);
  });
});

describe(`${DOC}: deploy steps and outputs`, () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-infra-'));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));
  synthesize(ENVIRONMENTS, outdir, STATE_BUCKET);
  const stack = (name: string) => JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
  const staging = stack('staging');
  const deploy = section(doc, 'Deploy');

  test('the -target address of the first deploy step exists', () => {
    const [, type, id] = /-target=(aws_\w+)\.(\w+)/.exec(deploy) ?? [];
    expect(staging.resource[type]?.[id]).toBeDefined();
  });

  test('the repository named in the push step is the staging repository', () => {
    const [, name] = /--repository-names (\S+)/.exec(deploy) ?? [];
    expect(Object.values(staging.resource.aws_ecr_repository).map((r) => (r as { name: string }).name)).toEqual([name]);
  });

  test('every output in the outputs table exists, and no output is missing from it', () => {
    const documented = [...section(doc, 'Outputs').matchAll(/^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|/gm)].flatMap((m) =>
      m.slice(1).filter((n): n is string => n !== undefined),
    );
    expect(new Set(documented)).toEqual(new Set(Object.keys(staging.output)));
  });

  test('the outputs of the state-bootstrap stack are named below the table', () => {
    const outputs = Object.keys(stack(STATE_BOOTSTRAP_STACK).output);
    expect(outputs.length).toBeGreaterThan(0);
    for (const name of outputs) expect(section(doc, 'Outputs')).toContain(`\`${name}\``);
  });

  test('every resource address the docs show (`aws_lb.Service_LoadBalancer_D381012F`) is in a default stack', () => {
    const stacks = fs.readdirSync(path.join(outdir, 'stacks')).map(stack);
    const exists = (type: string, id: string) => stacks.some((s) => s.resource?.[type]?.[id] !== undefined);
    const shown = allDocs().flatMap((file) =>
      [...readDoc(file).matchAll(/\b(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+_[0-9A-F]{8})\b/g)].map((m) => ({
        file,
        type: m[1] as string,
        id: m[2] as string,
      })),
    );
    expect(shown.length).toBeGreaterThan(2);
    expect(shown.filter((a) => !exists(a.type, a.id)).map((a) => `${a.file}: ${a.type}.${a.id}`)).toEqual([]);
  });

  test('the outputs table is the only one: other docs link to it instead of keeping their own', () => {
    const withTable = allDocs().filter((f) => f !== DOC && /^\| output \|/im.test(readDoc(f)));
    expect(withTable).toEqual([]);
    // The operations manual names an output (alarm_topic_arn) and points here for the rest.
    expect(readDoc('docs/infrastructure-operations.md')).toContain('](infrastructure.md#outputs)');
  });
});
