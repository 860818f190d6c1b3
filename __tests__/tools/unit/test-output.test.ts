/**
 * Reading `terraform test -json -verbose` output: the provider schema each plan and state message repeats
 * is parsed once and shared, with every other field as Terraform wrote it.
 */
import { parseTestOutput, spliceMember, type CommandResult } from '../../../tools/terraform/workspace';

const SCHEMAS = {
  'registry.terraform.io/hashicorp/aws': {
    resource_schemas: {
      aws_lb: { block: { attributes: { name: { type: 'string', description: 'a "quoted" {brace' } } } },
    },
  },
};

function output(...messages: object[]): CommandResult {
  return { args: [], code: 0, stderr: '', stdout: `${messages.map((m) => JSON.stringify(m)).join('\n')}\n` };
}

/** spliceMember on a text, its result as text. */
function splice(json: string, key: string, depth: number, known?: string) {
  const result = spliceMember(Buffer.from(json), key, depth, known === undefined ? undefined : Buffer.from(known));
  return result && { rest: result.rest.toString(), value: result.value.toString() };
}

describe('spliceMember', () => {
  test('takes out a member and its value, with the comma before or after it', () => {
    const after = splice('{"a":1,"s":{"x":[1,{"y":"}"}]},"b":2}', 's', 1);
    expect(after).toEqual({ rest: '{"a":1,"b":2}', value: '{"x":[1,{"y":"}"}]}' });
    const last = splice('{"a":1,"s":["]",{"z":"\\"}"}]}', 's', 1);
    expect(last).toEqual({ rest: '{"a":1}', value: '["]",{"z":"\\"}"}]' });
    expect(JSON.parse(last!.value)).toEqual([']', { z: '"}' }]);
  });

  test('does not match the name inside a string, at another depth, or a value that does not close', () => {
    expect(splice(JSON.stringify({ text: '"s":{"x":1}' }), 's', 1)).toBeUndefined();
    expect(splice('{"a":{"s":{"x":1}}}', 's', 1)).toBeUndefined();
    expect(splice('{"s":{"x":[1}', 's', 1)).toBeUndefined();
  });

  test('takes a value seen before as it is, and scans one that differs', () => {
    const json = '{"a":1,"s":{"x":"é{"},"b":2}';
    expect(splice(json, 's', 1, '{"x":"é{"}')).toEqual({ rest: '{"a":1,"b":2}', value: '{"x":"é{"}' });
    expect(splice(json, 's', 1, '{"x":"é{"}}')).toEqual({ rest: '{"a":1,"b":2}', value: '{"x":"é{"}' });
    expect(splice(json, 's', 1, '{"x":1}')).toEqual({ rest: '{"a":1,"b":2}', value: '{"x":"é{"}' });
    // Taken without a scan, the value is the known buffer itself: its reader needs no second comparison.
    const known = Buffer.from('{"x":"é{"}');
    expect(spliceMember(Buffer.from(json), 's', 1, known)?.value).toBe(known);
    expect(spliceMember(Buffer.from(json), 's', 1, Buffer.from('{"x":1}'))?.value).not.toBe(known);
  });
});

describe('parseTestOutput', () => {
  const plan = (after: string) => ({
    plan_format_version: '1.2',
    resource_changes: [{ address: 'aws_lb.a', change: { actions: ['create'], after: { name: after } } }],
    provider_schemas: SCHEMAS,
  });
  const report = parseTestOutput(
    output(
      { type: 'test_plan', '@testfile': 'tests/a.tftest.hcl', '@testrun': 'one', test_plan: plan('first') },
      {
        type: 'test_state',
        '@testfile': 'tests/a.tftest.hcl',
        '@testrun': 'two',
        test_state: { provider_schemas: SCHEMAS, values: {} },
      },
      { type: 'test_plan', '@testfile': 'tests/a.tftest.hcl', '@testrun': 'two', test_plan: plan('second') },
      {
        type: 'test_run',
        '@testfile': 'tests/a.tftest.hcl',
        '@testrun': 'two',
        test_run: { progress: 'complete', status: 'pass' },
      },
      { type: 'test_summary', '@message': 'Success! 2 passed, 0 failed.' },
    ),
  );

  test('keeps every field of each plan, the schemas included', () => {
    expect(report.runs.get('tests/a.tftest.hcl/one')?.plan).toEqual(plan('first'));
    expect(report.runs.get('tests/a.tftest.hcl/two')).toMatchObject({ status: 'pass', plan: plan('second') });
    expect(report.summary).toBe('Success! 2 passed, 0 failed.');
  });

  test('a member of that name in the plan itself stays where it is', () => {
    const withTags = {
      ...plan('tags'),
      resource_changes: [
        {
          address: 'aws_lb.a',
          change: {
            actions: ['create'],
            after: { tags: { provider_schemas: 'x' }, m: { provider_schemas: { z: 1 } } },
          },
        },
      ],
    };
    const withoutSchemas = { resource_changes: withTags.resource_changes };
    const parsed = parseTestOutput(
      output(
        { type: 'test_plan', '@testfile': 'f', '@testrun': 'with', test_plan: withTags },
        { type: 'test_plan', '@testfile': 'f', '@testrun': 'without', test_plan: withoutSchemas },
      ),
    );
    expect(parsed.runs.get('f/with')?.plan).toEqual(withTags);
    expect(parsed.runs.get('f/without')?.plan).toEqual(withoutSchemas);
  });

  test('parses the schemas once for all plans that repeat them', () => {
    const first = report.runs.get('tests/a.tftest.hcl/one')?.plan?.provider_schemas as unknown;
    expect(report.runs.get('tests/a.tftest.hcl/two')?.plan?.provider_schemas).toBe(first);
  });
});
