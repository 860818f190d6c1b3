/** Strings of Terraform JSON syntax in HCL: templates, literals, references. */
import { formatExpression, literalString, referenceExpression, templateExpression } from '../../tools/hcl/template';

test('a string that is one interpolation becomes the bare expression', () => {
  expect(templateExpression('${aws_vpc.main.id}')).toBe('aws_vpc.main.id');
  expect(templateExpression('${ element(data.aws_x.y.names, 0) }')).toBe('element(data.aws_x.y.names, 0)');
});

test('mixed templates stay quoted; literal text is escaped, expression source is not', () => {
  expect(templateExpression('rediss://${aws_x.y.address}:6379')).toBe('"rediss://${aws_x.y.address}:6379"');
  expect(templateExpression('say "hi"\n\tC:\\dir')).toBe('"say \\"hi\\"\\n\\tC:\\\\dir"');
  // The quotes inside the interpolation are HCL source: escaping them would change the expression.
  expect(templateExpression('${can(regex("^[a-z]{1,3}$", var.x))}')).toBe('can(regex("^[a-z]{1,3}$", var.x))');
  expect(templateExpression('[{"image":"${aws_ecr_repository.r.repository_url}:${var.tag}"}]')).toBe(
    '"[{\\"image\\":\\"${aws_ecr_repository.r.repository_url}:${var.tag}\\"}]"',
  );
});

test('escaped sequences stay escaped, a "}" inside a nested string does not end the interpolation', () => {
  expect(templateExpression('$${literal} and %%{literal}')).toBe('"$${literal} and %%{literal}"');
  expect(templateExpression('x-${join("}", ["a", "${var.b}"])}')).toBe('"x-${join("}", ["a", "${var.b}"])}"');
  expect(() => templateExpression('${unterminated')).toThrow('unterminated template sequence');
});

test('literal strings escape template sequences', () => {
  expect(literalString('a ${b} %{c}')).toBe('"a $${b} %%{c}"');
  expect(literalString('../state.tfstate')).toBe('"../state.tfstate"');
});

test('references: bare or wrapped, anything else is an error', () => {
  expect(referenceExpression('aws_lb_listener.http')).toBe('aws_lb_listener.http');
  expect(referenceExpression('${aws_lb_listener.http}')).toBe('aws_lb_listener.http');
  expect(() => referenceExpression('not a ref')).toThrow('not a reference');
});

test('for-expressions are spaced as terraform fmt spaces them, strings inside untouched', () => {
  expect(formatExpression('[ for key, val in aws_x.y: val.fqdn]')).toBe('[for key, val in aws_x.y : val.fqdn]');
  expect(formatExpression('{ for k, v in tolist(x.o): v.n => v }')).toBe('{ for k, v in tolist(x.o) : v.n => v }');
  expect(formatExpression('[for s in x : "a:b"]')).toBe('[for s in x : "a:b"]');
  expect(formatExpression('a ? b : c')).toBe('a ? b : c');
});
