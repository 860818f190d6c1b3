import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { WebSocketGraphqlService, type WebSocketGraphqlServiceProps } from '../../constructs/websocket-graphql-service';
import { ENV, CONTAINER } from '../../service/src/container-contract';
import { loadConfig } from '../../service/src/config';
import {
  all,
  containerDefinitions,
  containerEnvironment,
  containerSecrets,
  type Json,
  only,
  ref,
  securityGroupRules,
  synth,
} from './helpers';

const base: WebSocketGraphqlServiceProps = {
  domainName: 'api.example.com',
  hostedZoneName: 'example.com',
  imageTag: 'v1',
};
const build = (props: Partial<WebSocketGraphqlServiceProps> = {}) =>
  synth((scope) => new WebSocketGraphqlService(scope, 'Api', { ...base, ...props }));
const listener = (json: Json, port: number) => Object.values(all(json, 'aws_lb_listener')).find((l) => l.port === port);
const rules = (json: Json) => securityGroupRules(json);
const sg = (json: Json, idPart: string) => ref(json, 'aws_security_group', 'id', idPart);
const existing = {
  vpcId: 'vpc-0123456789abcdef0',
  publicSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
  privateSubnetIds: ['subnet-0123456789abcdef2', 'subnet-0123456789abcdef3'],
};

describe('WebSocketGraphqlService', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    test('creates every part: registry, network, certificate, ALB, target group, ECS, autoscaling, DNS, Redis, alarms', () => {
      const counts = Object.fromEntries(
        Object.entries(json.resource).map(([type, r]) => [type, Object.keys(r as object).length]),
      );
      expect(counts).toMatchObject({
        aws_ecr_repository: 1,
        aws_vpc: 1,
        aws_subnet: 4,
        aws_nat_gateway: 1,
        aws_acm_certificate: 1,
        aws_acm_certificate_validation: 1,
        aws_lb: 1,
        aws_lb_listener: 2,
        aws_lb_target_group: 1,
        aws_ecs_cluster: 1,
        aws_ecs_task_definition: 1,
        aws_ecs_service: 1,
        aws_appautoscaling_target: 1,
        aws_appautoscaling_policy: 2,
        aws_route53_record: 3,
        aws_elasticache_replication_group: 1,
        aws_cloudwatch_metric_alarm: 8,
      });
      expect(raw).toHaveDataSourceWithProperties(DataAwsRoute53Zone, { name: 'example.com' });
    });
    test('resources are named ws-graphql', () => {
      expect(raw).toHaveResourceWithProperties(Lb, { name: 'ws-graphql' });
      expect(raw).toHaveResourceWithProperties(LbTargetGroup, { name_prefix: 'ws-gr-', tags: { Name: 'ws-graphql' } });
      expect(raw).toHaveResourceWithProperties(EcrRepository, { name: 'ws-graphql' });
    });
    test('tasks in the private subnets, 2 desired, scaling 2..4', () => {
      const service = only(json, 'aws_ecs_service');
      expect(service.desired_count).toBe(2);
      expect(service.network_configuration.subnets).toEqual([
        ref(json, 'aws_subnet', 'id', 'PrivateSubnet1'),
        ref(json, 'aws_subnet', 'id', 'PrivateSubnet2'),
      ]);
      expect(only(json, 'aws_appautoscaling_target')).toMatchObject({ min_capacity: 2, max_capacity: 4 });
    });
    test('ALB in the public subnets, dual-stack, with A and AAAA records', () => {
      expect(only(json, 'aws_lb').subnets).toEqual([
        ref(json, 'aws_subnet', 'id', 'PublicSubnet1'),
        ref(json, 'aws_subnet', 'id', 'PublicSubnet2'),
      ]);
      expect(only(json, 'aws_lb').ip_address_type).toBe('dualstack');
      const types = Object.values(all(json, 'aws_route53_record'))
        .filter((r) => r.alias)
        .map((r) => r.type);
      expect(types.sort()).toEqual(['A', 'AAAA']);
    });
    test('ALLOWED_ORIGINS is https://<domain>', () => {
      expect(containerEnvironment(json)[ENV.allowedOrigins]).toBe('https://api.example.com');
    });
    test('Redis on (maxCount 4 > 1): REDIS_URL to the primary endpoint, REDIS_TLS, auth token as a secret', () => {
      expect(containerEnvironment(json)).toMatchObject({
        [ENV.redisUrl]: `rediss://${ref(json, 'aws_elasticache_replication_group', 'primary_endpoint_address')}:6379`,
        [ENV.redisTls]: 'true',
      });
      expect(containerSecrets(json)).toEqual({ [ENV.redisAuthToken]: ref(json, 'aws_secretsmanager_secret', 'arn') });
      expect(raw).not.toMatch(/"name":"REDIS_AUTH_TOKEN","value"/);
    });
    test('urls', () => {
      let service!: WebSocketGraphqlService;
      synth((scope) => {
        service = new WebSocketGraphqlService(scope, 'Api', base);
      });
      expect([service.httpsUrl, service.wssUrl]).toEqual(['https://api.example.com', 'wss://api.example.com/graphql']);
    });
  });

  describe('references between resources', () => {
    const { json } = build();
    test('HTTPS listener -> validated certificate ARN', () => {
      expect(listener(json, 443).certificate_arn).toBe(ref(json, 'aws_acm_certificate_validation', 'certificate_arn'));
    });
    test('certificate validation records -> the hosted zone found by name', () => {
      expect(only(json, 'aws_acm_certificate_validation').certificate_arn).toBe(
        ref(json, 'aws_acm_certificate', 'arn'),
      );
      const validation = Object.values(all(json, 'aws_route53_record')).find((r) => r.for_each);
      expect(validation.zone_id).toBe(ref(json, 'aws_route53_zone', 'zone_id', '', 'data'));
    });
    test('HTTPS listener -> target group; service -> the same target group on the container port', () => {
      const tg = ref(json, 'aws_lb_target_group', 'arn');
      expect(listener(json, 443).default_action[0].target_group_arn).toBe(tg);
      expect(only(json, 'aws_ecs_service').load_balancer).toEqual([
        { target_group_arn: tg, container_name: 'graphql', container_port: CONTAINER.port },
      ]);
    });
    test('service depends on both listeners', () => {
      const deps = only(json, 'aws_ecs_service').depends_on;
      for (const id of Object.keys(all(json, 'aws_lb_listener'))) expect(deps).toContain(`aws_lb_listener.${id}`);
    });
    test('alias records -> ALB DNS name and the ALB zone id, in the hosted zone', () => {
      for (const record of Object.values(all(json, 'aws_route53_record')).filter((r) => r.alias)) {
        expect(record.alias).toEqual({
          name: ref(json, 'aws_lb', 'dns_name'),
          zone_id: ref(json, 'aws_lb', 'zone_id'),
          evaluate_target_health: true,
        });
        expect(record.zone_id).toBe(ref(json, 'aws_route53_zone', 'zone_id', '', 'data'));
      }
    });
    test('task SG <- ALB SG on the container port; ALB SG -> task SG is the ALB egress', () => {
      const tasks = sg(json, 'Service_SecurityGroup');
      const alb = sg(json, 'LoadBalancer_SecurityGroup');
      expect(rules(json)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            direction: 'ingress',
            security_group_id: tasks,
            referenced_security_group_id: alb,
            from_port: CONTAINER.port,
          }),
          expect.objectContaining({
            direction: 'egress',
            security_group_id: alb,
            referenced_security_group_id: tasks,
            from_port: CONTAINER.port,
          }),
        ]),
      );
      expect(rules(json).filter((r) => r.security_group_id === alb && r.direction === 'egress')).toHaveLength(1);
    });
    test('Redis SG <- task SG on 6379 only', () => {
      const redis = sg(json, 'Redis_SecurityGroup');
      expect(rules(json).filter((r) => r.security_group_id === redis)).toEqual([
        expect.objectContaining({
          direction: 'ingress',
          referenced_security_group_id: sg(json, 'Service_SecurityGroup'),
          from_port: 6379,
          to_port: 6379,
        }),
      ]);
    });
    test('image -> ECR repository URL + image tag', () => {
      expect(containerDefinitions(json)[0].image).toBe(`${ref(json, 'aws_ecr_repository', 'repository_url')}:v1`);
    });
    test('autoscaling -> cluster/service names and ALB/target group ARN suffixes', () => {
      expect(only(json, 'aws_appautoscaling_target').resource_id).toBe(
        `service/${ref(json, 'aws_ecs_cluster', 'name')}/${ref(json, 'aws_ecs_service', 'name')}`,
      );
      const requests = Object.values(all(json, 'aws_appautoscaling_policy')).find((p) => p.name.endsWith('-requests'));
      expect(requests.target_tracking_scaling_policy_configuration.predefined_metric_specification.resource_label).toBe(
        `${ref(json, 'aws_lb', 'arn_suffix')}/${ref(json, 'aws_lb_target_group', 'arn_suffix')}`,
      );
    });
    test('alarms -> ALB and service dimensions', () => {
      const unhealthy = Object.values(all(json, 'aws_cloudwatch_metric_alarm')).find(
        (a) => a.metric_name === 'UnHealthyHostCount',
      );
      expect(unhealthy.dimensions).toEqual({
        LoadBalancer: ref(json, 'aws_lb', 'arn_suffix'),
        TargetGroup: ref(json, 'aws_lb_target_group', 'arn_suffix'),
      });
    });
  });

  describe('WebSocket timing: one source of truth', () => {
    test.each([
      [{}],
      [{ keepaliveIntervalSeconds: 25, idleTimeoutSeconds: 600, drainWindowSeconds: 40, stopTimeoutSeconds: 90 }],
      [
        {
          keepaliveIntervalSeconds: 5,
          idleTimeoutSeconds: 10,
          drainWindowSeconds: 3,
          drainPollIntervalSeconds: 0.5,
          stopTimeoutSeconds: 12,
        },
      ],
    ])('the keepalive the container receives and the ALB idle timeout come from the same config %j', (timing) => {
      let service!: WebSocketGraphqlService;
      const { json } = synth((scope) => {
        service = new WebSocketGraphqlService(scope, 'Api', { ...base, timing });
      });
      const t = service.timing;
      // Read back from the synthesized JSON, the way ECS and the ALB will see it.
      const env = containerEnvironment(json);
      const serviceConfig = loadConfig(env);
      const idleTimeout = only(json, 'aws_lb').idle_timeout;
      expect(serviceConfig.keepaliveIntervalMs).toBe(t.keepaliveIntervalSeconds * 1000);
      expect(idleTimeout).toBe(t.idleTimeoutSeconds);
      expect(idleTimeout * 1000).toBeGreaterThanOrEqual(2 * serviceConfig.keepaliveIntervalMs);
      // The service keeps its HTTP keep-alive connections open past the ALB's idle timeout.
      expect(serviceConfig.lbIdleTimeoutMs).toBe(idleTimeout * 1000);
      expect(serviceConfig.drainWindowMs).toBe(t.drainWindowSeconds * 1000);
      expect(serviceConfig.drainPollIntervalMs).toBe(t.drainPollIntervalSeconds * 1000);
      expect(Number(only(json, 'aws_lb_target_group').deregistration_delay)).toBe(t.deregistrationDelaySeconds);
      expect(containerDefinitions(json)[0].stopTimeout).toBe(t.stopTimeoutSeconds);
      for (const [key, value] of Object.entries(timing)) expect(t[key as keyof typeof t]).toBe(value);
    });
    test('a timing that breaks a rule fails synth, naming the construct', () => {
      expect(() => build({ timing: { keepaliveIntervalSeconds: 61 } })).toThrow(
        /stack\/Api: timing: 'idleTimeoutSeconds' must be at least 2x keepaliveIntervalSeconds \(61\)/,
      );
    });
  });

  describe('props', () => {
    test('region reaches the load balancer: no ELB account lookup for access logs in a region opened since 2022', () => {
      const { json } = build({ region: 'ap-southeast-4', loadBalancer: { accessLogs: {} } });
      expect(json.data?.aws_elb_service_account).toBeUndefined();
      expect(Object.keys(all(json, 'aws_s3_bucket_policy'))).toHaveLength(1);
    });
    test('name', () => {
      const { raw } = build({ name: 'chat' });
      expect(raw).toHaveResourceWithProperties(Lb, { name: 'chat' });
      expect(raw).toHaveResourceWithProperties(ElasticacheReplicationGroup, { replication_group_id: 'chat' });
    });
    test('region', () => {
      expect(
        containerDefinitions(build({ region: 'us-west-2' }).json)[0].logConfiguration.options['awslogs-region'],
      ).toBe('us-west-2');
    });
    test('hostedZoneId: no lookup, records in that zone', () => {
      const { hostedZoneName: _zoneName, ...withoutZoneName } = base;
      const { raw, json } = synth(
        (scope) =>
          new WebSocketGraphqlService(scope, 'Api', { ...withoutZoneName, hostedZoneId: 'Z0123456789ABCDEFGHIJ' }),
      );
      expect(raw).not.toHaveDataSource(DataAwsRoute53Zone);
      const records = Object.values(all(json, 'aws_route53_record'));
      expect(records.map((r) => r.zone_id)).toEqual(Array(3).fill('Z0123456789ABCDEFGHIJ'));
    });
    test('subjectAlternativeNames', () => {
      expect(build({ subjectAlternativeNames: ['ws.example.com'] }).raw).toHaveResourceWithProperties(AcmCertificate, {
        subject_alternative_names: ['ws.example.com'],
      });
    });
    test('certificateKeyAlgorithm', () => {
      expect(build({ certificateKeyAlgorithm: 'EC_secp384r1' }).raw).toHaveResourceWithProperties(AcmCertificate, {
        key_algorithm: 'EC_secp384r1',
      });
    });
    test('certificateArn: no certificate created, the listener uses the given ARN', () => {
      const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/abc';
      const { raw, json } = build({ certificateArn: arn });
      expect(raw).not.toHaveResource(AcmCertificate);
      expect(listener(json, 443).certificate_arn).toBe(arn);
    });
    test('network', () => {
      const { raw, json } = build({ network: { cidrBlock: '10.8.0.0/16', availabilityZoneCount: 3 } });
      expect(raw).toHaveResourceWithProperties(Vpc, { cidr_block: '10.8.0.0/16' });
      expect(only(json, 'aws_lb').subnets).toHaveLength(3);
    });
    test("network.natGateways 'none': tasks run in the public subnets with a public IP", () => {
      const service = only(build({ network: { natGateways: 'none' } }).json, 'aws_ecs_service');
      expect(service.network_configuration.assign_public_ip).toBe(true);
      const subnets: string[] = service.network_configuration.subnets;
      expect(subnets).toHaveLength(2);
      expect(subnets.filter((s) => !s.includes('PublicSubnet'))).toEqual([]);
    });
    test('network.ipv6 false: IPv4 ALB and no AAAA record', () => {
      const { json } = build({ network: { ipv6: false } });
      expect(only(json, 'aws_lb').ip_address_type).toBe('ipv4');
      expect(
        Object.values(all(json, 'aws_route53_record'))
          .filter((r) => r.alias)
          .map((r) => r.type),
      ).toEqual(['A']);
    });
    test('existingNetwork: no VPC created; ALB, tasks and Redis in the given subnets', () => {
      const { raw, json } = build({ existingNetwork: existing });
      expect(raw).not.toHaveResource(Vpc);
      expect(only(json, 'aws_lb').subnets).toEqual(existing.publicSubnetIds);
      expect(only(json, 'aws_ecs_service').network_configuration.subnets).toEqual(existing.privateSubnetIds);
      expect(only(json, 'aws_elasticache_subnet_group').subnet_ids).toEqual(existing.privateSubnetIds);
      expect(only(json, 'aws_lb_target_group').vpc_id).toBe(existing.vpcId);
    });
    test('registry', () => {
      expect(build({ registry: { repositoryName: 'shared/api', keepLastImages: 3 } }).raw).toHaveResourceWithProperties(
        EcrRepository,
        { name: 'shared/api' },
      );
    });
    test('loadBalancer', () => {
      expect(build({ loadBalancer: { deletionProtection: true } }).raw).toHaveResourceWithProperties(Lb, {
        enable_deletion_protection: true,
        idle_timeout: 120,
      });
    });
    test('targetGroup', () => {
      expect(build({ targetGroup: { stickinessCookieDurationSeconds: 600 } }).raw).toHaveResourceWithProperties(
        LbTargetGroup,
        {
          stickiness: { type: 'lb_cookie', enabled: true, cookie_duration: 600 },
          deregistration_delay: '41',
        },
      );
    });
    test('service', () => {
      const { json } = build({ service: { cpu: 1024, memory: 2048, allowedOrigins: ['https://app.example.com'] } });
      expect(only(json, 'aws_ecs_task_definition')).toMatchObject({ cpu: '1024', memory: '2048' });
      expect(containerEnvironment(json)[ENV.allowedOrigins]).toBe('https://app.example.com');
    });
    test("settings carry the inner constructs' props through (new ones included)", () => {
      const { json } = build({
        registry: { untaggedImageExpiryDays: 7 },
        targetGroup: { namePrefix: 'api-' },
        service: { waitForSteadyState: true, steadyStateTimeoutMinutes: 45 },
        redis: { authTokenUpdateStrategy: 'SET' },
        alarms: { createTopic: true, subscriptions: [{ protocol: 'email', endpoint: 'ops@example.com' }] },
      });
      expect(JSON.parse(only(json, 'aws_ecr_lifecycle_policy').policy).rules[0].selection.countNumber).toBe(7);
      expect(only(json, 'aws_lb_target_group').name_prefix).toBe('api-');
      expect(only(json, 'aws_ecs_service').timeouts).toEqual({ create: '45m', update: '45m', delete: '45m' });
      expect(only(json, 'aws_elasticache_replication_group').auth_token_update_strategy).toBe('SET');
      expect(only(json, 'aws_sns_topic_subscription').endpoint).toBe('ops@example.com');
    });
    test('scaling', () => {
      const { json } = build({ scaling: { desiredCount: 3, minCount: 3, maxCount: 9, cpuTargetPercent: 50 } });
      expect(only(json, 'aws_ecs_service').desired_count).toBe(3);
      expect(only(json, 'aws_appautoscaling_target')).toMatchObject({ min_capacity: 3, max_capacity: 9 });
    });
    test('scaling: the autoscaling settings reach both target-tracking policies', () => {
      const scaling = {
        cpuTargetPercent: 50,
        requestsPerTarget: 500,
        scaleInCooldownSeconds: 600,
        scaleOutCooldownSeconds: 30,
      };
      const policies = Object.values(all(build({ scaling }).json, 'aws_appautoscaling_policy'));
      expect(
        policies.map((p) => {
          const c = p.target_tracking_scaling_policy_configuration;
          return [
            c.predefined_metric_specification.predefined_metric_type,
            c.target_value,
            c.scale_in_cooldown,
            c.scale_out_cooldown,
          ];
        }),
      ).toEqual([
        ['ECSServiceAverageCPUUtilization', 50, 600, 30],
        ['ALBRequestCountPerTarget', 500, 600, 30],
      ]);
    });
    test('scaling.maxCount 1: Redis off by default, in-memory fan-out', () => {
      const { raw, json } = build({ scaling: { desiredCount: 1, minCount: 1, maxCount: 1 } });
      expect(raw).not.toHaveResource(ElasticacheReplicationGroup);
      expect(containerEnvironment(json)[ENV.redisUrl]).toBeUndefined();
      expect(containerSecrets(json)).toEqual({});
    });
    test('redis.enabled false turns it off', () => {
      expect(build({ redis: { enabled: false } }).raw).not.toHaveResource(ElasticacheReplicationGroup);
    });
    test('redis.enabled true with a single task', () => {
      expect(
        build({ scaling: { desiredCount: 1, minCount: 1, maxCount: 1 }, redis: { enabled: true } }).raw,
      ).toHaveResource(ElasticacheReplicationGroup);
    });
    test('redis settings', () => {
      expect(build({ redis: { nodeCount: 3, nodeType: 'cache.m7g.large' } }).raw).toHaveResourceWithProperties(
        ElasticacheReplicationGroup,
        {
          num_cache_clusters: 3,
          node_type: 'cache.m7g.large',
        },
      );
    });
    test('alarms', () => {
      expect(build({ alarms: { createTopic: true } }).raw).toHaveResourceWithProperties(SnsTopic, {
        name: 'ws-graphql-alarms',
      });
    });
  });

  describe('validation', () => {
    test('domain not inside the hosted zone', () => {
      expect(() => build({ domainName: 'api.example.org' })).toThrow(
        'Api: \'domainName\' must be "example.com" or a name under it (the hosted zone) (got "api.example.org")',
      );
    });
    test('desired/min/max counts', () => {
      expect(() => build({ scaling: { desiredCount: 5 } })).toThrow(
        "Api: 'scaling.desiredCount' must be in scaling.minCount..scaling.maxCount (2..4) (got 5)",
      );
      expect(() => build({ scaling: { minCount: 3, maxCount: 2, desiredCount: 2 } })).toThrow(
        /'scaling\.minCount' must be <= scaling\.maxCount \(2\)/,
      );
    });
    test('network and existingNetwork exclude each other', () => {
      expect(() => build({ network: {}, existingNetwork: existing })).toThrow(
        /'network' and existingNetwork exclude each other/,
      );
    });
    test('certificateArn syntax', () => {
      expect(() => build({ certificateArn: 'my-cert' })).toThrow(
        /'certificateArn' must be an ARN of the form arn:aws:acm:/,
      );
    });
    test('certificate options need a created certificate', () => {
      expect(() =>
        build({
          certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
          subjectAlternativeNames: ['x.example.com'],
        }),
      ).toThrow(/apply only to a certificate created here/);
    });
    test('wildcard domain', () => {
      expect(() => build({ domainName: '*.example.com' })).toThrow(
        /'domainName' must be a single name, not a wildcard/,
      );
    });
    test('name', () => {
      expect(() => build({ name: 'ws_graphql' })).toThrow(/'name' must start with a lower-case letter/);
    });
    test('a derived name that AWS would refuse is caught by the construct that owns it', () => {
      expect(() => build({ loadBalancer: { name: 'internal-api' } })).toThrow(
        /stack\/Api\/LoadBalancer: 'name' must not start with "internal-"/,
      );
    });
  });
});
