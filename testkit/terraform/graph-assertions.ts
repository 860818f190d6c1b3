/**
 * Assertions on the graph a mocked apply evaluates, written against whatever the stack synthesizes: the
 * addresses come from the JSON by resource type and role, so the assertions follow renamed construct ids.
 * Each returns no assertion when its part is absent (a brought-along certificate has no validation records).
 */
import { blocksOfType, type Block, type StackJson } from '../../tools/terraform/stack-json';
import { type Assertion } from '../../tools/terraform/test-file';

export interface NamedAssertion extends Assertion {
  readonly id: 'validation-records' | 'image-tag' | 'request-count-label' | 'ipv6-subnets' | 'listener-certificate';
}

function httpsListener(stack: StackJson): Block | undefined {
  return blocksOfType(stack, 'aws_lb_listener').find((b) => b.body.protocol === 'HTTPS');
}

export function graphAssertions(stack: StackJson): NamedAssertion[] {
  const out: NamedAssertion[] = [];
  const [cert] = blocksOfType(stack, 'aws_acm_certificate');
  const [validation] = blocksOfType(stack, 'aws_acm_certificate_validation');
  const records = blocksOfType(stack, 'aws_route53_record').find((b) => b.body.for_each !== undefined);
  if (cert && records) {
    const c = cert.address;
    out.push({
      id: 'validation-records',
      condition: `length(${records.address}) == length(${c}.domain_validation_options) && toset(keys(${records.address})) == toset(concat([${c}.domain_name], tolist(${c}.subject_alternative_names)))`,
      errorMessage: 'expected one validation record per domain of the certificate',
    });
  }
  const listener = httpsListener(stack);
  if (listener && validation) {
    out.push({
      id: 'listener-certificate',
      condition: `${listener.address}.certificate_arn == ${validation.address}.certificate_arn && ${validation.address}.certificate_arn == ${cert?.address}.arn`,
      errorMessage: 'the HTTPS listener must use the validated certificate ARN',
    });
  }
  const [task] = blocksOfType(stack, 'aws_ecs_task_definition');
  if (task) {
    out.push({
      id: 'image-tag',
      condition: `alltrue([for c in jsondecode(${task.address}.container_definitions) : endswith(c.image, ":\${var.image_tag}")]) && length(jsondecode(${task.address}.container_definitions)) > 0`,
      errorMessage: 'container_definitions must decode and every image must carry var.image_tag',
    });
  }
  const requestPolicy = blocksOfType(stack, 'aws_appautoscaling_policy').find(
    (b) =>
      b.body.target_tracking_scaling_policy_configuration?.predefined_metric_specification?.predefined_metric_type ===
      'ALBRequestCountPerTarget',
  );
  if (requestPolicy) {
    const label = `${requestPolicy.address}.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].resource_label`;
    out.push({
      id: 'request-count-label',
      condition: `can(regex("^app/[^/]+/[0-9a-f]+/targetgroup/[^/]+/[0-9a-f]+$", ${label}))`,
      errorMessage: 'ALBRequestCountPerTarget resource_label must be app/<lb>/<id>/targetgroup/<tg>/<id>',
    });
  }
  const [vpc] = blocksOfType(stack, 'aws_vpc');
  const ipv6Subnets = blocksOfType(stack, 'aws_subnet').filter((b) => b.body.ipv6_cidr_block !== undefined);
  if (vpc && ipv6Subnets.length > 0) {
    const ranges = `[${ipv6Subnets.map((s) => `${s.address}.ipv6_cidr_block`).join(', ')}]`;
    out.push({
      id: 'ipv6-subnets',
      condition: `length(distinct(${ranges})) == ${ipv6Subnets.length} && alltrue([for r in ${ranges} : contains([for k in range(256) : cidrsubnet(${vpc.address}.ipv6_cidr_block, 8, k)], r)])`,
      errorMessage: 'every IPv6 subnet must be a distinct /64 of the VPC /56',
    });
  }
  return out;
}
