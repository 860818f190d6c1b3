import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import {
  CONTAINER_NAME,
  WebSocketFargateService,
  type WebSocketFargateServiceProps,
} from '../../constructs/fargate-service';
import { resolveTiming } from '../../constructs/timing';
import { CONTAINER, ENV } from '../../service/src/container-contract';
import { loadConfig } from '../../service/src/config';
import {
  all,
  containerDefinitions,
  containerEnvironment,
  containerSecrets,
  only,
  ref,
  securityGroupRules,
  synth,
} from './helpers';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf';
const base: WebSocketFargateServiceProps = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef2', 'subnet-0123456789abcdef3'],
  imageRepositoryUrl: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ws-graphql',
  imageTag: 'v1.2.3',
  targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/1',
  loadBalancerSecurityGroupId: 'sg-0aaaaaaaaaaaaaaaa',
};
const build = (props: Partial<WebSocketFargateServiceProps> = {}) =>
  synth((scope) => new WebSocketFargateService(scope, 'App', { ...base, ...props }));

describe('WebSocketFargateService', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    const [c] = containerDefinitions(json);

    test('cluster with Container Insights', () => {
      expect(raw).toHaveResourceWithProperties(EcsCluster, {
        name: 'ws-graphql',
        setting: [{ name: 'containerInsights', value: 'enabled' }],
      });
    });
    test('Fargate task definition, awsvpc, 512 CPU / 1024 MiB, x86_64 Linux', () => {
      expect(raw).toHaveResourceWithProperties(EcsTaskDefinition, {
        family: 'ws-graphql',
        requires_compatibilities: ['FARGATE'],
        network_mode: 'awsvpc',
        cpu: '512',
        memory: '1024',
        runtime_platform: { operating_system_family: 'LINUX', cpu_architecture: 'X86_64' },
      });
    });
    test('execution role with the managed execution policy; separate task role without policies', () => {
      const td = only(json, 'aws_ecs_task_definition');
      expect(td.execution_role_arn).toBe(ref(json, 'aws_iam_role', 'arn', 'ExecutionRole'));
      expect(td.task_role_arn).toBe(ref(json, 'aws_iam_role', 'arn', 'TaskRole'));
      expect(only(json, 'aws_iam_role_policy_attachment')).toEqual({
        role: ref(json, 'aws_iam_role', 'name', 'ExecutionRole'),
        policy_arn: `arn:${ref(json, 'aws_partition', 'partition', '', 'data')}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`,
      });
      expect(raw).not.toHaveResource(IamRolePolicy);
    });
    describe('trust policies: only ECS tasks of this account (confused deputy)', () => {
      const account = (): string => ref(json, 'aws_caller_identity', 'account_id', '', 'data');
      const trust = (idPart: string) =>
        JSON.parse(
          all(json, 'aws_iam_role')[Object.keys(all(json, 'aws_iam_role')).find((k) => k.includes(idPart))!]
            .assume_role_policy,
        ).Statement;
      test('task role: aws:SourceAccount and aws:SourceArn of ECS in this region and account', () => {
        expect(trust('TaskRole')).toEqual([
          {
            Effect: 'Allow',
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'aws:SourceAccount': account() },
              ArnLike: {
                'aws:SourceArn': `arn:${ref(json, 'aws_partition', 'partition', '', 'data')}:ecs:${ref(json, 'aws_region', 'region', '', 'data')}:${account()}:*`,
              },
            },
          },
        ]);
      });
      test('execution role: aws:SourceAccount', () => {
        expect(trust('ExecutionRole')).toEqual([
          {
            Effect: 'Allow',
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': account() } },
          },
        ]);
      });
      test('region prop: used in aws:SourceArn without a lookup', () => {
        const { json: j } = build({ region: 'eu-central-1' });
        const role = Object.entries(all(j, 'aws_iam_role')).find(([k]) => k.includes('TaskRole'))![1];
        expect(JSON.parse(role.assume_role_policy).Statement[0].Condition.ArnLike['aws:SourceArn']).toMatch(
          /^arn:\$\{data\.aws_partition\.\w+\.partition\}:ecs:eu-central-1:\$\{data\.aws_caller_identity\.\w+\.account_id\}:\*$/,
        );
      });
    });
    test('log group /ecs/<name> kept 30 days, used by the awslogs driver', () => {
      expect(raw).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/ecs/ws-graphql', retention_in_days: 30 });
      expect(c.logConfiguration).toEqual({
        logDriver: 'awslogs',
        options: {
          'awslogs-group': ref(json, 'aws_cloudwatch_log_group', 'name'),
          'awslogs-region': ref(json, 'aws_region', 'region', '', 'data'),
          'awslogs-stream-prefix': CONTAINER_NAME,
        },
      });
    });
    test('image = repository URL + tag', () => {
      expect(c.image).toBe(`${base.imageRepositoryUrl}:v1.2.3`);
    });
    test('port mapping of the container port', () => {
      expect(c.portMappings).toEqual([{ containerPort: CONTAINER.port, hostPort: CONTAINER.port, protocol: 'tcp' }]);
    });
    test('non-root user, read-only root filesystem, writable /tmp volume', () => {
      expect(c.user).toBe(CONTAINER.user);
      expect(c.readonlyRootFilesystem).toBe(true);
      expect(c.mountPoints).toEqual([{ sourceVolume: 'tmp', containerPath: CONTAINER.tmpDir, readOnly: false }]);
      expect(only(json, 'aws_ecs_task_definition').volume).toEqual([{ name: 'tmp' }]);
    });
    test('stop timeout from the timing', () => {
      expect(c.stopTimeout).toBe(60);
    });
    test("health check: the image's own probe (its HEALTHCHECK), with the same timings", () => {
      expect(c.healthCheck).toEqual({
        command: ['CMD', ...CONTAINER.healthCheckCommand],
        interval: 15,
        timeout: 5,
        retries: 3,
        startPeriod: 10,
      });
    });
    test('environment: timing, port, host, production, info, version = image tag; sorted by name', () => {
      expect(containerEnvironment(json)).toEqual({
        [ENV.port]: String(CONTAINER.port),
        [ENV.host]: '0.0.0.0',
        [ENV.nodeEnv]: 'production',
        [ENV.logLevel]: 'info',
        [ENV.version]: 'v1.2.3',
        [ENV.keepaliveIntervalMs]: '15000',
        [ENV.drainWindowMs]: '30000',
        [ENV.drainPollIntervalMs]: '1000',
        [ENV.lbIdleTimeoutMs]: '120000',
        // The memory budget of a 1024 MiB task (see memory-budget.test.ts).
        [ENV.maxConnections]: '12288',
        [ENV.nodeOptions]: '--max-old-space-size=768',
        [ENV.historyMaxEvents]: '1000',
        [ENV.historyTtlMs]: '300000',
      });
      const names = c.environment.map((e: { name: string }) => e.name);
      expect(names).toEqual([...names].sort());
    });
    test('no secrets', () => {
      expect(c.secrets).toEqual([]);
    });
    test('the service reads this environment without complaint (contract with service/src/config.ts)', () => {
      const config = loadConfig(containerEnvironment(json));
      expect(config).toMatchObject({
        port: CONTAINER.port,
        host: '0.0.0.0',
        mode: 'production',
        version: 'v1.2.3',
        keepaliveIntervalMs: 15000,
        history: { maxEvents: 1000, ttlMs: 300_000 },
      });
    });
    test('task security group admits only the load balancer security group on the container port', () => {
      const sg = ref(json, 'aws_security_group', 'id');
      const rules = securityGroupRules(json);
      expect(rules.filter((r) => r.direction === 'ingress')).toEqual([
        expect.objectContaining({
          security_group_id: sg,
          referenced_security_group_id: base.loadBalancerSecurityGroupId,
          ip_protocol: 'tcp',
          from_port: CONTAINER.port,
          to_port: CONTAINER.port,
        }),
      ]);
    });
    test('task security group egress: one all-protocol rule to 0.0.0.0/0, no port range', () => {
      const egress = securityGroupRules(json).filter((r) => r.direction === 'egress');
      expect(egress).toEqual([
        expect.objectContaining({
          security_group_id: ref(json, 'aws_security_group', 'id'),
          ip_protocol: '-1',
          cidr_ipv4: '0.0.0.0/0',
        }),
      ]);
      expect(egress[0]).not.toHaveProperty('from_port');
    });
    test('service: Fargate, private subnets, no public IP, registered in the target group', () => {
      expect(raw).toHaveResourceWithProperties(EcsService, {
        name: 'ws-graphql',
        cluster: ref(json, 'aws_ecs_cluster', 'arn'),
        task_definition: ref(json, 'aws_ecs_task_definition', 'arn'),
        launch_type: 'FARGATE',
        network_configuration: {
          subnets: base.subnetIds,
          security_groups: [ref(json, 'aws_security_group', 'id')],
          assign_public_ip: false,
        },
        load_balancer: [
          { target_group_arn: base.targetGroupArn, container_name: CONTAINER_NAME, container_port: CONTAINER.port },
        ],
      });
    });
    test('service: desired 2, grace period 60, circuit breaker with rollback, 100% / 200%', () => {
      expect(raw).toHaveResourceWithProperties(EcsService, {
        desired_count: 2,
        health_check_grace_period_seconds: 60,
        deployment_circuit_breaker: { enable: true, rollback: true },
        deployment_minimum_healthy_percent: 100,
        deployment_maximum_percent: 200,
        enable_execute_command: false,
      });
      expect(only(json, 'aws_ecs_service').lifecycle.ignore_changes).toEqual(['desired_count']);
    });
    test('service waits for the execution role policy', () => {
      expect(only(json, 'aws_ecs_service').depends_on).toEqual([
        ref(json, 'aws_iam_role_policy_attachment', 'id').slice(2, -4),
      ]);
    });
    test('a new task definition revision is registered before the old one is deregistered', () => {
      expect(only(json, 'aws_ecs_task_definition').lifecycle.create_before_destroy).toBe(true);
    });
  });

  describe('props', () => {
    test('history: the window reaches the service environment, and the service reads it', () => {
      const { json } = build({ history: { maxEvents: 0, ttlSeconds: 60 } });
      const env = containerEnvironment(json);
      expect([env[ENV.historyMaxEvents], env[ENV.historyTtlMs]]).toEqual(['0', '60000']);
      expect(loadConfig(env).history).toEqual({ maxEvents: 0, ttlMs: 60_000 });
    });
    test('name', () => {
      const { raw } = build({ name: 'api' });
      expect(raw).toHaveResourceWithProperties(EcsService, { name: 'api' });
      expect(raw).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/ecs/api' });
    });
    test('timing: stop timeout and the service environment follow it', () => {
      const timing = resolveTiming({
        keepaliveIntervalSeconds: 20,
        idleTimeoutSeconds: 300,
        drainWindowSeconds: 45,
        stopTimeoutSeconds: 90,
      });
      const { json } = build({ timing });
      expect(containerDefinitions(json)[0].stopTimeout).toBe(90);
      expect(containerEnvironment(json)).toMatchObject({
        [ENV.keepaliveIntervalMs]: '20000',
        [ENV.drainWindowMs]: '45000',
      });
    });
    test('cpu and memory', () => {
      expect(build({ cpu: 1024, memory: 3072 }).raw).toHaveResourceWithProperties(EcsTaskDefinition, {
        cpu: '1024',
        memory: '3072',
      });
    });
    test('cpuArchitecture', () => {
      expect(build({ cpuArchitecture: 'ARM64' }).raw).toHaveResourceWithProperties(EcsTaskDefinition, {
        runtime_platform: { operating_system_family: 'LINUX', cpu_architecture: 'ARM64' },
      });
    });
    test('desiredCount', () => {
      expect(build({ desiredCount: 5 }).raw).toHaveResourceWithProperties(EcsService, { desired_count: 5 });
    });
    test('assignPublicIp', () => {
      expect(only(build({ assignPublicIp: true }).json, 'aws_ecs_service').network_configuration.assign_public_ip).toBe(
        true,
      );
    });
    describe('waits for steady state, with a timeout that fits the rollout', () => {
      // One rollout: start allowance (120 s) + grace period + deregistration delay + stop timeout.
      // The timeout allows three (a failed rollout, the circuit breaker's rollback, margin), at least 20 min.
      const service = (props: Partial<WebSocketFargateServiceProps> = {}) => only(build(props).json, 'aws_ecs_service');
      test('default: wait_for_steady_state, 20 minute timeouts', () => {
        expect(service()).toMatchObject({
          wait_for_steady_state: true,
          timeouts: { create: '20m', update: '20m', delete: '20m' },
        });
      });
      test('a long grace period and drain raise the timeout: 3 x (120 + 1800 + 600 + 120) s = 132 min', () => {
        const timing = resolveTiming({ deregistrationDelaySeconds: 600, stopTimeoutSeconds: 120 });
        expect(service({ timing, healthCheckGracePeriodSeconds: 1800 }).timeouts).toEqual({
          create: '132m',
          update: '132m',
          delete: '132m',
        });
      });
      test('apply fails when the circuit breaker rolled back: the service must run the new task definition', () => {
        const { json } = build();
        expect(only(json, 'aws_ecs_service').lifecycle.postcondition).toEqual([
          {
            condition: `\${(self.task_definition == ${ref(json, 'aws_ecs_task_definition', 'arn').slice(2, -1)})}`,
            error_message: expect.stringContaining('circuit breaker rolled it back'),
          },
        ]);
      });
      test('steadyStateTimeoutMinutes', () => {
        expect(service({ steadyStateTimeoutMinutes: 45 }).timeouts).toEqual({
          create: '45m',
          update: '45m',
          delete: '45m',
        });
      });
      test('waitForSteadyState false: no wait, no timeouts, no postcondition', () => {
        const s = service({ waitForSteadyState: false });
        expect(s.wait_for_steady_state).toBe(false);
        expect(s).not.toHaveProperty('timeouts');
        expect(s.lifecycle).toEqual({ ignore_changes: ['desired_count'] });
      });
    });
    test('healthCheckGracePeriodSeconds', () => {
      expect(build({ healthCheckGracePeriodSeconds: 120 }).raw).toHaveResourceWithProperties(EcsService, {
        health_check_grace_period_seconds: 120,
      });
    });
    test('logRetentionDays', () => {
      expect(build({ logRetentionDays: 365 }).raw).toHaveResourceWithProperties(CloudwatchLogGroup, {
        retention_in_days: 365,
      });
    });
    test('containerInsights', () => {
      expect(build({ containerInsights: 'enhanced' }).raw).toHaveResourceWithProperties(EcsCluster, {
        setting: [{ name: 'containerInsights', value: 'enhanced' }],
      });
    });
    test('enableExecuteCommand adds the SSM channel permissions to the task role only', () => {
      const { raw, json } = build({ enableExecuteCommand: true });
      expect(raw).toHaveResourceWithProperties(EcsService, { enable_execute_command: true });
      const policy = only(json, 'aws_iam_role_policy');
      expect(policy.role).toBe(ref(json, 'aws_iam_role', 'id', 'TaskRole'));
      expect(JSON.parse(policy.policy).Statement[0].Action).toContain('ssmmessages:OpenDataChannel');
    });
    test('enableExecuteCommand makes the root filesystem writable (the SSM agent must write to it)', () => {
      const [c] = containerDefinitions(build({ enableExecuteCommand: true }).json);
      expect(c.readonlyRootFilesystem).toBe(false);
    });
    test('region', () => {
      const { json } = build({ region: 'us-east-2' });
      expect(containerDefinitions(json)[0].logConfiguration.options['awslogs-region']).toBe('us-east-2');
      expect(all(json, 'aws_region', 'data')).toEqual({});
    });
    test('nodeEnv', () => {
      expect(containerEnvironment(build({ nodeEnv: 'development' }).json)[ENV.nodeEnv]).toBe('development');
    });
    test('logLevel', () => {
      expect(containerEnvironment(build({ logLevel: 'warn' }).json)[ENV.logLevel]).toBe('warn');
    });
    test('allowedOrigins', () => {
      expect(
        containerEnvironment(build({ allowedOrigins: ['https://a.example.com', 'http://localhost:3000'] }).json)[
          ENV.allowedOrigins
        ],
      ).toBe('https://a.example.com,http://localhost:3000');
    });
    test('redis: URL and TLS in the environment, the AUTH token as a secret the execution role may read', () => {
      const tokenArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis-AbCdEf';
      const { json } = build({ redis: { url: 'rediss://redis.internal:6379', authTokenSecretArn: tokenArn } });
      expect(containerEnvironment(json)).toMatchObject({
        [ENV.redisUrl]: 'rediss://redis.internal:6379',
        [ENV.redisTls]: 'true',
      });
      expect(containerSecrets(json)).toEqual({ [ENV.redisAuthToken]: tokenArn });
      const policy = only(json, 'aws_iam_role_policy');
      expect(policy.role).toBe(ref(json, 'aws_iam_role', 'id', 'ExecutionRole'));
      expect(JSON.parse(policy.policy).Statement).toEqual([
        { Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [tokenArn] },
      ]);
      expect(only(json, 'aws_ecs_service').depends_on).toContain(ref(json, 'aws_iam_role_policy', 'id').slice(2, -4));
      const config = loadConfig({ ...containerEnvironment(json), [ENV.redisAuthToken]: 'x'.repeat(64) });
      expect(config.redis).toEqual({ url: 'rediss://redis.internal:6379', authToken: 'x'.repeat(64), tls: true });
    });
    test('jwtSecretArn is passed as the JWT_SECRET secret, never as plain environment', () => {
      const { json } = build({ jwtSecretArn: SECRET });
      expect(containerSecrets(json)).toEqual({ [ENV.jwtSecret]: SECRET });
      expect(containerEnvironment(json)[ENV.jwtSecret]).toBeUndefined();
    });
    test('environment', () => {
      expect(containerEnvironment(build({ environment: { JWT_ISSUER: 'https://issuer' } }).json)).toMatchObject({
        JWT_ISSUER: 'https://issuer',
      });
    });
    test('secrets', () => {
      const arn = 'arn:aws:ssm:eu-west-1:123456789012:parameter/api/key';
      expect(containerSecrets(build({ secrets: { API_KEY: arn } }).json)).toEqual({ API_KEY: arn });
    });
    describe('secrets: the execution role may read the secret each valueFrom names', () => {
      const SM = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret';
      const resources = (valueFrom: string) => {
        const { json } = build({ secrets: { API_KEY: valueFrom } });
        expect(containerSecrets(json)).toEqual({ API_KEY: valueFrom });
        return JSON.parse(only(json, 'aws_iam_role_policy').policy).Statement[0].Resource;
      };
      test.each([
        ['full ARN', `${SM}:api-AbCdEf`, `${SM}:api-AbCdEf`],
        ['full ARN with JSON key', `${SM}:api-AbCdEf:key::`, `${SM}:api-AbCdEf`],
        ['full ARN with JSON key, version stage', `${SM}:api-AbCdEf:key:AWSPREVIOUS:`, `${SM}:api-AbCdEf`],
        [
          'full ARN with version id, no key',
          `${SM}:api-AbCdEf::AWSCURRENT:0123abcd-01ab-23cd-45ef-0123456789ab`,
          `${SM}:api-AbCdEf`,
        ],
        ['partial ARN', `${SM}:prod/api`, `${SM}:prod/api-??????`],
        ['partial ARN with JSON key', `${SM}:prod/api:key::`, `${SM}:prod/api-??????`],
        [
          'SSM parameter ARN, as it is',
          'arn:aws:ssm:eu-west-1:123456789012:parameter/api/key',
          'arn:aws:ssm:eu-west-1:123456789012:parameter/api/key',
        ],
      ])('%s', (_, valueFrom, resource) => {
        expect(resources(valueFrom)).toEqual([resource]);
      });
      test('each action only on its own service: GetSecretValue on secrets, GetParameters on parameters', () => {
        const param = 'arn:aws:ssm:eu-west-1:123456789012:parameter/api/key';
        const { json } = build({ jwtSecretArn: SECRET, secrets: { API_KEY: param } });
        expect(JSON.parse(only(json, 'aws_iam_role_policy').policy).Statement).toEqual([
          { Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [SECRET] },
          { Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: [param] },
        ]);
      });
      test('a reference known only at apply: both statements name it (its service is unknown at synth)', () => {
        const { json } = synth((scope) => {
          const secret = new SecretsmanagerSecret(scope, 'Secret', { name: 'api' });
          new WebSocketFargateService(scope, 'App', { ...base, secrets: { API_KEY: secret.arn } });
        });
        const arn = ref(json, 'aws_secretsmanager_secret', 'arn');
        expect(JSON.parse(only(json, 'aws_iam_role_policy').policy).Statement).toEqual([
          { Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [arn] },
          { Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: [arn] },
        ]);
      });
      test('two keys of one secret: one resource', () => {
        const { json } = build({ secrets: { A: `${SM}:api-AbCdEf:a::`, B: `${SM}:api-AbCdEf:b::` } });
        expect(JSON.parse(only(json, 'aws_iam_role_policy').policy).Statement[0].Resource).toEqual([
          `${SM}:api-AbCdEf`,
        ]);
      });
    });
    test('dependsOn: the service is created after the listeners', () => {
      const { json } = synth((scope) => {
        const listener = new LbListener(scope, 'Https', { loadBalancerArn: 'arn', defaultAction: [] });
        new WebSocketFargateService(scope, 'App', { ...base, dependsOn: [listener] });
      });
      expect(only(json, 'aws_ecs_service').depends_on).toContain(ref(json, 'aws_lb_listener', 'arn').slice(2, -5));
    });
  });

  describe('validation', () => {
    test('steadyStateTimeoutMinutes must cover one rollout', () => {
      expect(() => build({ healthCheckGracePeriodSeconds: 600, steadyStateTimeoutMinutes: 10 })).toThrow(
        "App: 'steadyStateTimeoutMinutes' must be an integer in 14..480: at least one rollout (120 s start + healthCheckGracePeriodSeconds 600 + deregistrationDelaySeconds 41 + stopTimeoutSeconds 60 = 821 s) (got 10)",
      );
    });
    test('steadyStateTimeoutMinutes only with waitForSteadyState', () => {
      expect(() => build({ waitForSteadyState: false, steadyStateTimeoutMinutes: 30 })).toThrow(
        "App: 'steadyStateTimeoutMinutes' applies only with waitForSteadyState: true (got 30)",
      );
    });
    test('Fargate cpu/memory pair', () => {
      expect(() => build({ cpu: 256, memory: 4096 })).toThrow(
        "App: 'memory' is not a valid Fargate memory size for cpu 256: allowed 512, 1024, 2048 (MiB) (got 4096)",
      );
      expect(() => build({ cpu: 100 })).toThrow(/'cpu' must be a Fargate cpu size/);
    });
    test('desiredCount', () => {
      expect(() => build({ history: { maxEvents: 100_001 } })).toThrow(
        /App: 'history.maxEvents' must be an integer in 0\.\.100000 \(got 100001\)/,
      );
      expect(() => build({ history: { ttlSeconds: 0.5 } })).toThrow(
        /App: 'history.ttlSeconds' must be an integer in 1\.\.86400 \(got 0.5\)/,
      );
      expect(() => build({ desiredCount: -1 })).toThrow(/'desiredCount' must be an integer in 0\.\.5000 \(got -1\)/);
    });
    test('log retention must be a CloudWatch value', () => {
      expect(() => build({ logRetentionDays: 10 })).toThrow(/'logRetentionDays' must be one of 0, 1, 3, 5, 7, 14, 30/);
    });
    test('grace period range', () => {
      expect(() => build({ healthCheckGracePeriodSeconds: 7201 })).toThrow(
        /'healthCheckGracePeriodSeconds' must be an integer in 0\.\.7200/,
      );
    });
    test('name', () => {
      expect(() => build({ name: 'Api' })).toThrow(/'name' must start with a lower-case letter/);
    });
    test('nodeEnv and logLevel values', () => {
      expect(() => build({ nodeEnv: 'prod' as never })).toThrow(
        /'nodeEnv' must be one of "production", "development", "test" \(got "prod"\)/,
      );
      expect(() => build({ logLevel: 'trace' as never })).toThrow(/'logLevel' must be one of/);
    });
    test('allowedOrigins must be exact origins', () => {
      expect(() => build({ allowedOrigins: ['https://a.example.com/path'] })).toThrow(
        /'allowedOrigins\[0\]' must be an exact origin/,
      );
      expect(() => build({ allowedOrigins: [] })).toThrow(/'allowedOrigins' must list at least one origin/);
    });
    test('jwtSecretArn must be a Secrets Manager ARN', () => {
      expect(() => build({ jwtSecretArn: 'my-secret' })).toThrow(
        /'jwtSecretArn' must be an ARN of the form arn:aws:secretsmanager:/,
      );
    });
    test('extra environment may not override managed names', () => {
      expect(() => build({ environment: { [ENV.keepaliveIntervalMs]: '1000' } })).toThrow(
        `App: 'environment.${ENV.keepaliveIntervalMs}' is set by this construct from its typed props; use the prop instead`,
      );
      expect(() =>
        build({
          redis: { url: 'rediss://r:6379', authTokenSecretArn: SECRET },
          secrets: { [ENV.redisAuthToken]: SECRET },
        }),
      ).toThrow(/'secrets\.REDIS_AUTH_TOKEN' is set by this construct/);
    });
    test('variable names', () => {
      expect(() => build({ environment: { 'BAD-NAME': 'x' } })).toThrow(
        /'environment\.BAD-NAME' must be a variable name/,
      );
    });
    test('a variable is plain or secret, not both', () => {
      expect(() => build({ environment: { TOKEN: 'x' }, secrets: { TOKEN: SECRET } })).toThrow(
        /'secrets\.TOKEN' is also in environment/,
      );
    });
    test('secret values must be ARNs', () => {
      expect(() => build({ secrets: { TOKEN: 'plain-text' } })).toThrow(
        /'secrets\.TOKEN' must be a Secrets Manager or SSM parameter ARN/,
      );
    });
    test('at least one subnet', () => {
      expect(() => build({ subnetIds: [] })).toThrow(/'subnetIds' must list at least one subnet/);
    });
  });
});
