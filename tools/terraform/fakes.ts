/**
 * Stand-in values for what only AWS knows. Data sources are read at plan time, so an offline plan overrides
 * every one of them (`override_data`) with values shaped like AWS's answers; a data source type missing here
 * gets Terraform's generated values. The mock provider of a mocked apply gets ARNs and the few computed
 * values the configuration builds on (load balancer suffixes, the VPC's IPv6 block, ACM validation options)
 * in AWS's formats, so expressions that parse them are tested on realistic input.
 */
import { type Block, type StackJson } from './stack-json';

export const FAKE_ACCOUNT = '123456789012';

/** Override values for one data source, from its configuration and the stack's region. */
export function dataSourceValues(block: Block, region: string): StackJson {
  const zones = ['a', 'b', 'c', 'd'].map((z) => `${region}${z}`);
  switch (block.type) {
    case 'aws_availability_zones':
      return { names: zones, zone_ids: zones.map((_, i) => `${region.slice(0, 2)}az${i + 1}`), id: region };
    case 'aws_partition':
      return { partition: 'aws', dns_suffix: 'amazonaws.com', reverse_dns_prefix: 'com.amazonaws', id: 'aws' };
    case 'aws_region':
      return { name: region, id: region, endpoint: `ec2.${region}.amazonaws.com`, description: region };
    case 'aws_caller_identity':
      return {
        account_id: FAKE_ACCOUNT,
        arn: `arn:aws:iam::${FAKE_ACCOUNT}:user/offline-plan`,
        user_id: 'AIDAOFFLINEPLAN',
        id: FAKE_ACCOUNT,
      };
    case 'aws_route53_zone': {
      const name = String(block.body.name ?? 'example.com').replace(/\.$/, '');
      return { zone_id: 'Z0OFFLINEPLAN00000000', id: 'Z0OFFLINEPLAN00000000', name, private_zone: false };
    }
    case 'aws_secretsmanager_random_password':
      return { random_password: 'OfflinePlan0123456789abcdefABCDEF', id: 'offline' };
    case 'aws_elb_service_account':
      return { arn: 'arn:aws:iam::156460612806:root', id: '156460612806' };
    case 'aws_vpc':
      return { id: 'vpc-0offline0000000', cidr_block: '10.0.0.0/16', ipv6_cidr_block: '2001:db8:1234:5600::/56' };
    case 'aws_subnets':
      return { ids: ['subnet-0offline00000001', 'subnet-0offline00000002'], id: region };
    case 'aws_iam_policy_document':
      return { json: '{"Version":"2012-10-17","Statement":[]}', id: 'offline' };
    default:
      return {};
  }
}

/** The AWS service of a resource type's ARN, for the types that have an `arn` attribute. */
const ARN_SERVICES: Readonly<Record<string, string>> = {
  aws_acm_certificate: 'acm',
  aws_cloudwatch_log_group: 'logs',
  aws_cloudwatch_metric_alarm: 'cloudwatch',
  aws_ecr_repository: 'ecr',
  aws_ecs_cluster: 'ecs',
  aws_ecs_task_definition: 'ecs',
  aws_elasticache_replication_group: 'elasticache',
  aws_elasticache_subnet_group: 'elasticache',
  aws_iam_role: 'iam',
  aws_iam_policy: 'iam',
  aws_kms_key: 'kms',
  aws_lb: 'elasticloadbalancing',
  aws_lb_listener: 'elasticloadbalancing',
  aws_lb_target_group: 'elasticloadbalancing',
  aws_s3_bucket: 's3',
  aws_secretsmanager_secret: 'secretsmanager',
  aws_sns_topic: 'sns',
  aws_sns_topic_subscription: 'sns',
  aws_appautoscaling_policy: 'autoscaling',
  aws_security_group: 'ec2',
  aws_vpc: 'ec2',
  aws_subnet: 'ec2',
  aws_eip: 'ec2',
  aws_internet_gateway: 'ec2',
  aws_route_table: 'ec2',
  aws_dynamodb_table: 'dynamodb',
};

function nameOf(block: Block): string {
  const name = block.body.name ?? block.body.name_prefix ?? block.name;
  return typeof name === 'string' && !name.includes('${') ? name.slice(0, 24) : block.name.slice(0, 24).toLowerCase();
}

/**
 * Defaults of the mock provider for one resource type, from one block of that type (mock values are per
 * type). `planTime` lists values the real provider knows at plan time, which the mock must set during plan
 * (`override_during = plan`) for `for_each` over them to work.
 */
export function mockResourceDefaults(
  block: Block,
  region: string,
): { defaults: StackJson; planTime: boolean } | undefined {
  const service = ARN_SERVICES[block.type];
  const arnFor = (resource: string) =>
    `arn:aws:${service}:${service === 'iam' || service === 's3' ? '' : region}:${service === 's3' ? '' : FAKE_ACCOUNT}:${resource}`;
  const name = nameOf(block);
  switch (block.type) {
    case 'aws_acm_certificate': {
      const domains: string[] = [block.body.domain_name, ...((block.body.subject_alternative_names as string[]) ?? [])];
      const arn = arnFor('certificate/00000000-0000-4000-8000-000000000000');
      // Set during plan, every computed value must be given: a generated one would differ at apply.
      return {
        planTime: true,
        defaults: {
          arn,
          id: arn,
          status: 'PENDING_VALIDATION',
          type: 'AMAZON_ISSUED',
          renewal_eligibility: 'INELIGIBLE',
          not_before: '2025-01-01T00:00:00Z',
          not_after: '2026-01-01T00:00:00Z',
          pending_renewal: false,
          renewal_summary: [],
          validation_emails: [],
          domain_validation_options: domains.map((domain) => ({
            domain_name: domain,
            // Without the trailing dot ACM gives it: aws_route53_record stores names without it, and a mock
            // does not normalize, so a state built by a mock apply would differ from the real one.
            resource_record_name: `_0offline.${domain.replace(/^\*\./, '')}`,
            resource_record_type: 'CNAME',
            resource_record_value: `_0offline.${domain.replace(/^\*\./, '').length}.acm-validations.aws.`,
          })),
        },
      };
    }
    case 'aws_lb':
      return {
        planTime: false,
        defaults: {
          arn: arnFor(`loadbalancer/app/${name}/0123456789abcdef`),
          arn_suffix: `app/${name}/0123456789abcdef`,
          dns_name: `${name}-123456789.${region}.elb.amazonaws.com`,
          zone_id: 'Z32O12XQLNTSW2',
        },
      };
    case 'aws_lb_target_group':
      return {
        planTime: false,
        defaults: {
          arn: arnFor(`targetgroup/${name}/fedcba9876543210`),
          arn_suffix: `targetgroup/${name}/fedcba9876543210`,
        },
      };
    case 'aws_vpc':
      return {
        planTime: false,
        defaults: { arn: arnFor('vpc/vpc-0offline'), ipv6_cidr_block: '2001:db8:1234:5600::/56' },
      };
    case 'aws_ecr_repository':
      return {
        planTime: false,
        defaults: {
          arn: arnFor(`repository/${name}`),
          repository_url: `${FAKE_ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${name}`,
        },
      };
    case 'aws_elasticache_replication_group':
      return {
        planTime: false,
        defaults: {
          arn: arnFor(`replicationgroup:${name}`),
          primary_endpoint_address: `master.${name}.abcdef.euw1.cache.amazonaws.com`,
        },
      };
    case 'aws_sns_topic':
      // AWS returns no FifoThroughputScope for a standard topic and the provider stores "", the only value
      // its plan accepts beside fifo_topic = false; the mock's generated string would fail every later plan.
      return {
        planTime: false,
        defaults: {
          arn: arnFor(typeof block.body.name === 'string' && !block.body.name.includes('${') ? block.body.name : name),
          ...(block.body.fifo_topic === true ? {} : { fifo_throughput_scope: '' }),
        },
      };
    default:
      return service === undefined
        ? undefined
        : { planTime: false, defaults: { arn: arnFor(`${block.type}/${name}`) } };
  }
}
