/** The JSON → HCL converter: blocks versus attributes from the block schema, layout as terraform fmt writes it. */
import { type BlockSchema, jsonToHcl } from '../../tools/hcl/json-to-hcl';

const schema: BlockSchema = {
  provider: { aws: { default_tags: {} } },
  resource: { aws_lb_listener: { default_action: { redirect: {} } }, aws_x: {} },
  data: {},
};

test('nested blocks (object or list) versus map attributes, aligned "=" per run', () => {
  const hcl = jsonToHcl(
    {
      resource: {
        aws_lb_listener: {
          l: {
            '//': { metadata: { path: 'app/Listener' } },
            port: 80,
            protocol: 'HTTP',
            default_action: [{ type: 'redirect', redirect: { port: '443', status_code: 'HTTP_301' } }],
            tags: { Name: 'x', 'with-dash': 'y', 'has space': 'z' },
            depends_on: ['aws_x.a'],
            lifecycle: { create_before_destroy: true, ignore_changes: ['tags'] },
          },
        },
      },
    },
    schema,
  );
  expect(hcl).toBe(
    [
      '# app/Listener',
      'resource "aws_lb_listener" "l" {',
      '  port     = 80',
      '  protocol = "HTTP"',
      '  tags = {',
      '    Name        = "x"',
      '    with-dash   = "y"',
      '    "has space" = "z"',
      '  }',
      '  depends_on = [aws_x.a]',
      '',
      '  default_action {',
      '    type = "redirect"',
      '',
      '    redirect {',
      '      port        = "443"',
      '      status_code = "HTTP_301"',
      '    }',
      '  }',
      '',
      '  lifecycle {',
      '    create_before_destroy = true',
      '    ignore_changes        = [tags]',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
});

test('variable types are type expressions, defaults and descriptions literal', () => {
  const hcl = jsonToHcl({ variable: { v: { type: 'list(string)', default: ['${x}'], description: 'd' } } }, schema);
  expect(hcl).toContain('  type        = list(string)\n');
  expect(hcl).toContain('  default     = ["$${x}"]\n');
});

test('a type missing from the block schema, or an unsupported construct, is an error naming it', () => {
  expect(() => jsonToHcl({ resource: { aws_new: { a: {} } } }, schema)).toThrow(
    "resource type 'aws_new' is not in the block schema",
  );
  expect(() => jsonToHcl({ resource: { aws_x: { a: { provisioner: [] } } } }, schema)).toThrow(
    "aws_x.a: 'provisioner' blocks are not supported",
  );
  expect(() => jsonToHcl({ moved: [] }, schema)).toThrow('top-level "moved" is not supported');
});
