import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type App, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ENVIRONMENTS, STATE_BUCKET } from '../../config/environments';
import { WebSocketGraphqlStack, type WebSocketGraphqlStackProps } from '../../constructs/websocket-graphql-stack';
import { containerDefinitions, type Json, ref } from './helpers';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function app(): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-test-'));
  outdirs.push(outdir);
  return Testing.app({ outdir, stackTraces: false });
}

const base: WebSocketGraphqlStackProps = {
  region: 'eu-west-1',
  domainName: 'api.example.com',
  hostedZoneName: 'example.com',
};
function build(props: Partial<WebSocketGraphqlStackProps> = {}, id = 'test'): { raw: string; json: Json } {
  const stack = new WebSocketGraphqlStack(app(), id, { ...base, ...props });
  const raw = Testing.synth(stack);
  return { raw, json: JSON.parse(raw) };
}

describe('WebSocketGraphqlStack', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    test('AWS provider in the region with default tags', () => {
      expect(raw).toHaveProviderWithProperties(AwsProvider, {
        region: 'eu-west-1',
        default_tags: [{ tags: { Project: 'ws-graphql', Environment: 'test', ManagedBy: 'cdktf' } }],
      });
    });
    test('local state outside cdktf.out (project root), as a relative path', () => {
      expect(json.terraform.backend).toEqual({ local: { path: '../../../terraform.test.tfstate' } });
    });
    test('terraform >= 1.10', () => {
      expect(json.terraform.required_version).toBe('>= 1.10');
    });
    test('image_tag variable without default, checked against the Docker tag grammar', () => {
      expect(json.variable.image_tag).toEqual({
        type: 'string',
        description: expect.stringContaining('ECR'),
        validation: [
          {
            condition: '${can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))}',
            error_message: expect.stringContaining('Docker tag'),
          },
        ],
      });
    });
    test('the image and APP_VERSION use var.image_tag', () => {
      const [container] = containerDefinitions(json);
      expect(container.image).toBe(`${ref(json, 'aws_ecr_repository', 'repository_url')}:\${var.image_tag}`);
      expect(container.environment).toContainEqual({ name: 'APP_VERSION', value: '${var.image_tag}' });
    });
    test('outputs: https and wss URLs, ALB DNS name, ECR URL, cluster, service, log group', () => {
      expect(Object.fromEntries(Object.entries(json.output).map(([k, v]) => [k, (v as Json).value]))).toEqual({
        https_url: 'https://api.example.com',
        wss_url: 'wss://api.example.com/graphql',
        alb_dns_name: ref(json, 'aws_lb', 'dns_name'),
        ecr_repository_url: ref(json, 'aws_ecr_repository', 'repository_url'),
        ecs_cluster_name: ref(json, 'aws_ecs_cluster', 'name'),
        ecs_service_name: ref(json, 'aws_ecs_service', 'name'),
        log_group_name: ref(json, 'aws_cloudwatch_log_group', 'name'),
      });
    });
  });

  describe('props', () => {
    test('imageTag becomes the variable default', () => {
      expect(build({ imageTag: '2024-06-01.3' }).json.variable.image_tag.default).toBe('2024-06-01.3');
    });
    test('tags are merged over the defaults', () => {
      expect(build({ tags: { Team: 'realtime', ManagedBy: 'platform' } }).raw).toHaveProviderWithProperties(
        AwsProvider,
        {
          default_tags: [
            { tags: { Project: 'ws-graphql', Environment: 'test', ManagedBy: 'platform', Team: 'realtime' } },
          ],
        },
      );
    });
    test('backend local with a path', () => {
      expect(build({ backend: { type: 'local', path: '/var/state/api.tfstate' } }).json.terraform.backend).toEqual({
        local: { path: '/var/state/api.tfstate' },
      });
    });
    test('backend s3: encrypted, locked with the S3 lock file, key per stack, region of the stack', () => {
      expect(build({ backend: { type: 's3', bucket: 'my-tf-state' } }, 'production').json.terraform.backend).toEqual({
        s3: {
          bucket: 'my-tf-state',
          key: 'production/terraform.tfstate',
          region: 'eu-west-1',
          encrypt: true,
          use_lockfile: true,
        },
      });
    });
    test('backend s3 with a DynamoDB lock table, key and region', () => {
      expect(
        build({
          backend: {
            type: 's3',
            bucket: 'my-tf-state',
            key: 'api/state',
            region: 'us-east-1',
            dynamodbTable: 'tf-locks',
          },
        }).json.terraform.backend,
      ).toEqual({
        s3: { bucket: 'my-tf-state', key: 'api/state', region: 'us-east-1', encrypt: true, dynamodb_table: 'tf-locks' },
      });
    });
    test('alarm topic: its ARN is the alarm_topic_arn output (created or given)', () => {
      const created = build({ alarms: { createTopic: true } }).json;
      expect(created.output.alarm_topic_arn).toMatchObject({ value: ref(created, 'aws_sns_topic', 'arn') });
      const given = 'arn:aws:sns:eu-west-1:123456789012:ops';
      expect(build({ alarms: { snsTopicArn: given } }).json.output.alarm_topic_arn.value).toBe(given);
    });
  });

  describe('validation', () => {
    test('region', () => {
      expect(() => build({ region: 'Europe' })).toThrow(
        'test: \'region\' must be an AWS region such as "eu-west-1" (got "Europe")',
      );
    });
    test('imageTag', () => {
      expect(() => build({ imageTag: '-bad' })).toThrow(/'imageTag' must be a Docker tag/);
    });
    test('S3 bucket name', () => {
      expect(() => build({ backend: { type: 's3', bucket: 'My_State' } })).toThrow(
        /'backend\.bucket' must be an S3 bucket name/,
      );
    });
    test('S3 key', () => {
      expect(() => build({ backend: { type: 's3', bucket: 'state', key: '/abs' } })).toThrow(
        /'backend\.key' must be an S3 key/,
      );
    });
    test('S3 region', () => {
      expect(() => build({ backend: { type: 's3', bucket: 'state', region: 'moon' } })).toThrow(
        /'backend\.region' must be an AWS region/,
      );
    });
    test('backend type', () => {
      expect(() => build({ backend: { type: 'gcs' } as never })).toThrow(
        /'backend\.type' must be "local" or "s3" \(got "gcs"\)/,
      );
    });
  });

  describe('default app (config/environments.ts)', () => {
    test('defines at least staging and production', () => {
      expect(Object.keys(ENVIRONMENTS)).toEqual(expect.arrayContaining(['staging', 'production']));
    });
    test.each(Object.keys(ENVIRONMENTS))(
      '%s: every alarm notifies a topic with a subscription, whose ARN is an output',
      (name) => {
        const { json } = build(ENVIRONMENTS[name], name);
        const topic = ref(json, 'aws_sns_topic', 'arn');
        const alarms = Object.values(json.resource.aws_cloudwatch_metric_alarm) as Json[];
        expect(alarms.map((a) => a.alarm_actions)).toEqual(alarms.map(() => [topic]));
        expect(Object.values(json.resource.aws_sns_topic_subscription).length).toBeGreaterThanOrEqual(1);
        expect(json.output.alarm_topic_arn.value).toBe(topic);
        expect(alarms.map((a) => a.metric_name)).toContain('HealthyHostCount');
      },
    );
    test('production keeps its state in S3, locked with the S3 lock file; staging keeps local state', () => {
      expect(build(ENVIRONMENTS.production, 'production').json.terraform.backend).toEqual({
        s3: {
          bucket: STATE_BUCKET.bucketName,
          key: 'production/terraform.tfstate',
          region: STATE_BUCKET.region,
          encrypt: true,
          use_lockfile: true,
        },
      });
      expect(build(ENVIRONMENTS.staging, 'staging').json.terraform.backend).toEqual({
        local: { path: '../../../terraform.staging.tfstate' },
      });
    });
    test('production protects itself: deletion protection, NAT per AZ, Redis failover, alarm topic', () => {
      const { json } = build(ENVIRONMENTS.production, 'production');
      const lb = Object.values(json.resource.aws_lb)[0] as Json;
      expect(lb.enable_deletion_protection).toBe(true);
      expect(Object.keys(json.resource.aws_nat_gateway)).toHaveLength(Object.keys(json.resource.aws_subnet).length / 2);
      expect(Object.values(json.resource.aws_elasticache_replication_group)[0]).toMatchObject({
        automatic_failover_enabled: true,
      });
      expect(json.resource.aws_sns_topic).toBeDefined();
    });
    test.each(Object.keys(ENVIRONMENTS))('%s: no output shows the Redis AUTH token unless marked sensitive', (name) => {
      const { json } = build(ENVIRONMENTS[name], name);
      const secretRef = /auth_token|secret_string|random_password/;
      const exposed = Object.entries(json.output as Record<string, Json>).filter(
        ([, o]) => secretRef.test(JSON.stringify(o.value)) && o.sensitive !== true,
      );
      expect(exposed).toEqual([]);
      expect(json.resource.aws_elasticache_replication_group).toBeDefined();
    });
    test.each(Object.keys(ENVIRONMENTS))('snapshot of the %s stack', (name) => {
      expect(build(ENVIRONMENTS[name], name).raw).toMatchSnapshot();
    });
  });
});
