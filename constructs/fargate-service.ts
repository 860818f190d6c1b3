import { Construct } from 'constructs';
import { type ITerraformDependable, Op, ref } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import {
  CONTAINER,
  ENV,
  HISTORY_DEFAULTS,
  HISTORY_RANGES,
  MEMORY_BUDGET,
  maxConnectionsForMemory,
} from '../service/src/container-contract';
import { resolveTiming, timingEnvironment, type WebSocketTiming } from './timing';
import { ContainerTimingLocal } from './timing-conditions';
import {
  checkArn,
  checkFargateCpuMemory,
  checkInteger,
  checkOneOf,
  checkPattern,
  checkResourceName,
  fail,
  isUnresolved,
  LOG_RETENTION_DAYS,
} from './validation';

/** Name of the one container in the task (the target group and the load_balancer block refer to it). */
export const CONTAINER_NAME = 'graphql';
/** Tasks at creation when `desiredCount` is not given. */
export const DEFAULT_DESIRED_COUNT = 2;
/** Name of the task volume mounted at CONTAINER.tmpDir. */
const TMP_VOLUME = 'tmp';

export type NodeEnv = 'production' | 'development' | 'test';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type CpuArchitecture = 'X86_64' | 'ARM64';
export type ContainerInsights = 'enabled' | 'enhanced' | 'disabled';

/** Redis the tasks publish and subscribe through. */
export interface ServiceRedisConnection {
  /** `rediss://host:port`. */
  readonly url: string;
  /** Secrets Manager ARN of the AUTH token (passed as an ECS secret). */
  readonly authTokenSecretArn: string;
}

/** Resumable subscriptions: the per-topic event history the tasks keep (in Redis, or in memory without it). */
export interface HistorySettings {
  /**
   * Events kept per topic (0..100000); 0 turns history and resume off. Size it for the busiest topic's
   * events per second times the longest reconnect to cover.
   * @default 1000
   */
  readonly maxEvents?: number;
  /**
   * Seconds a topic's history is kept after its last event (1..86400).
   * @default 300
   */
  readonly ttlSeconds?: number;
}

export interface WebSocketFargateServiceProps {
  readonly vpcId: string;
  /** Subnets the tasks run in (private, unless `assignPublicIp`). */
  readonly subnetIds: string[];
  /** ECR repository URL, without a tag. */
  readonly imageRepositoryUrl: string;
  /** Image tag (usually the `image_tag` Terraform variable); also the service's APP_VERSION. */
  readonly imageTag: string;
  /** Target group the service registers its tasks in. */
  readonly targetGroupArn: string;
  /** Security group of the load balancer: the only source admitted on the container port. */
  readonly loadBalancerSecurityGroupId: string;
  /**
   * Resources the service must be created after: the listeners (ECS rejects a target group that no
   * load balancer uses yet).
   * @default []
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Name of the cluster, service, task family, roles and log group (`/ecs/<name>`).
   * @default 'ws-graphql'
   */
  readonly name?: string;
  /**
   * WebSocket timing (resolved): stop timeout and the service's keepalive and drain settings.
   * @default - resolveTiming() defaults
   */
  readonly timing?: WebSocketTiming;
  /**
   * Per-topic event history for resumable subscriptions (HISTORY_MAX_EVENTS, HISTORY_TTL_MS).
   * @default - 1000 events, 300 s
   */
  readonly history?: HistorySettings;
  /**
   * Task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384).
   * @default 512
   */
  readonly cpu?: number;
  /**
   * Task memory in MiB; must be a valid Fargate pair with `cpu`.
   * @default 1024
   */
  readonly memory?: number;
  /**
   * MAX_CONNECTIONS: most WebSocket + SSE connections per task. At most what the task memory holds with
   * every socket at its limits (see MEMORY_BUDGET in the container contract).
   * @default - maxConnectionsForMemory(memory): 4096 at 512 MiB, 12288 at 1024 MiB
   */
  readonly maxConnections?: number;
  /**
   * CPU architecture of the image.
   * @default 'X86_64'
   */
  readonly cpuArchitecture?: CpuArchitecture;
  /**
   * Tasks to run at creation; autoscaling owns the count afterwards (changes here are ignored then).
   * @default 2
   */
  readonly desiredCount?: number;
  /**
   * Give tasks a public IP: needed in public subnets when the private ones have no NAT.
   * @default false
   */
  readonly assignPublicIp?: boolean;
  /**
   * Seconds the ECS scheduler ignores failing ALB health checks after a task starts (0..7200).
   * @default 60
   */
  readonly healthCheckGracePeriodSeconds?: number;
  /**
   * Make `terraform apply` (and `cdktf deploy`) wait until the service is stable: the new tasks healthy in
   * the target group and the old ones drained and stopped. Apply then fails when the rollout does not
   * finish in `steadyStateTimeoutMinutes`, or when the deployment circuit breaker rolled it back (a
   * postcondition compares the running task definition with the new one).
   * @default true
   */
  readonly waitForSteadyState?: boolean;
  /**
   * How long apply waits for steady state, in minutes (create, update and delete timeouts of the service).
   * At least one rollout: 120 s to start a task + `healthCheckGracePeriodSeconds` + the timing's
   * `deregistrationDelaySeconds` + `stopTimeoutSeconds`, rounded up; at most 480.
   * @default - three rollouts (a failed one, the circuit breaker's rollback, margin), at least 20 (the provider's default)
   */
  readonly steadyStateTimeoutMinutes?: number;
  /**
   * Days the log group keeps logs (a CloudWatch retention value; 0 = forever).
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * CloudWatch Container Insights on the cluster.
   * @default 'enabled'
   */
  readonly containerInsights?: ContainerInsights;
  /**
   * Allow `aws ecs execute-command` into the tasks (adds the SSM channel permissions to the task role).
   * This also makes the container's root filesystem writable: the SSM agent behind ECS Exec must write to it
   * and does not run with `readonlyRootFilesystem` (aws/containers-roadmap#1359). Turn it on to debug, then off.
   * @default false - the root filesystem is read-only
   */
  readonly enableExecuteCommand?: boolean;
  /**
   * Region for the awslogs driver.
   * @default - the provider's region (data.aws_region)
   */
  readonly region?: string;
  /**
   * NODE_ENV of the service (`production` hides introspection and error details).
   * @default 'production'
   */
  readonly nodeEnv?: NodeEnv;
  /**
   * LOG_LEVEL of the service.
   * @default 'info'
   */
  readonly logLevel?: LogLevel;
  /**
   * ALLOWED_ORIGINS: exact origins (`https://app.example.com`) allowed to open WebSockets.
   * @default - not set (the service's own default)
   */
  readonly allowedOrigins?: string[];
  /**
   * PUBLIC_ORIGIN: the service's own public origin (`https://api.example.com`), allowed like allowedOrigins.
   * @default - not set
   */
  readonly publicOrigin?: string;
  /**
   * Redis for cross-task fan-out: sets REDIS_URL and REDIS_TLS, and REDIS_AUTH_TOKEN as a secret.
   * @default - none: in-memory pub/sub (correct only with one task)
   */
  readonly redis?: ServiceRedisConnection;
  /**
   * Secrets Manager ARN of an HS256 secret, passed as JWT_SECRET.
   * @default - none
   */
  readonly jwtSecretArn?: string;
  /**
   * More plain environment variables (not secrets). Names this construct sets itself are refused.
   * @default {}
   */
  readonly environment?: Record<string, string>;
  /**
   * More secrets: variable name to Secrets Manager or SSM parameter ARN. The execution role may read each:
   * `secretsmanager:GetSecretValue` on secrets, `ssm:GetParameters` on parameters; a reference resolved only
   * at apply (another resource's `arn`) is granted both, since its service is not known at synth.
   * @default {}
   */
  readonly secrets?: Record<string, string>;
}

/**
 * ECS cluster, Fargate task definition and service for the GraphQL WebSocket container, with its roles,
 * log group and security group. The task runs as a non-root user on a read-only root filesystem with a
 * writable /tmp, gets the timing through its environment and its secrets through `secrets`.
 */
export class WebSocketFargateService extends Construct {
  public readonly cluster: EcsCluster;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly executionRole: IamRole;
  public readonly taskRole: IamRole;
  public readonly taskDefinition: EcsTaskDefinition;
  public readonly securityGroup: SecurityGroup;
  public readonly service: EcsService;
  /**
   * The container's timing as a Terraform local: the container definition reads its timing from there, and
   * the task definition's preconditions check it (see timing-conditions.ts).
   */
  public readonly containerTiming: ContainerTimingLocal;
  /**
   * The container's plain environment (sorted by name), with the values it resolves to: the timing entries
   * are written into the task definition as references to `containerTiming`.
   */
  public readonly containerEnvironment: Readonly<Record<string, string>>;
  /** The container's secrets: variable name to ARN (sorted by name). */
  public readonly containerSecrets: Readonly<Record<string, string>>;
  /** Port the container listens on (CONTAINER.port). */
  public readonly containerPort: number = CONTAINER.port;

  constructor(scope: Construct, id: string, props: WebSocketFargateServiceProps) {
    super(scope, id);
    const owner = this.node.path;
    const name = props.name ?? 'ws-graphql';
    const timing = props.timing ?? resolveTiming({}, owner);
    const cpu = props.cpu ?? 512;
    const memory = props.memory ?? 1024;
    const cpuArchitecture = props.cpuArchitecture ?? 'X86_64';
    const desiredCount = props.desiredCount ?? DEFAULT_DESIRED_COUNT;
    const healthCheckGracePeriodSeconds = props.healthCheckGracePeriodSeconds ?? 60;
    const logRetentionDays = props.logRetentionDays ?? 30;
    const containerInsights = props.containerInsights ?? 'enabled';
    const enableExecuteCommand = props.enableExecuteCommand ?? false;
    const waitForSteadyState = props.waitForSteadyState ?? true;

    checkResourceName(owner, 'name', name, 32);
    checkFargateCpuMemory(owner, cpu, memory);
    checkOneOf(owner, 'cpuArchitecture', cpuArchitecture, ['X86_64', 'ARM64'] as const);
    checkInteger(owner, 'desiredCount', desiredCount, 0, 5000);
    checkInteger(owner, 'healthCheckGracePeriodSeconds', healthCheckGracePeriodSeconds, 0, 7200);
    checkOneOf(owner, 'logRetentionDays', logRetentionDays, LOG_RETENTION_DAYS);
    checkOneOf(owner, 'containerInsights', containerInsights, ['enabled', 'enhanced', 'disabled'] as const);
    checkOneOf(owner, 'nodeEnv', props.nodeEnv ?? 'production', ['production', 'development', 'test'] as const);
    checkOneOf(owner, 'logLevel', props.logLevel ?? 'info', ['debug', 'info', 'warn', 'error'] as const);
    const steadyStateTimeoutMinutes = resolveSteadyStateTimeout(
      owner,
      waitForSteadyState,
      props.steadyStateTimeoutMinutes,
      healthCheckGracePeriodSeconds,
      timing,
    );
    if (props.subnetIds.length < 1) {
      fail(owner, 'subnetIds', '', 'must list at least one subnet (two or more AZs recommended)');
    }

    const memoryConnections = maxConnectionsForMemory(memory);
    const maxConnections = props.maxConnections ?? memoryConnections;
    checkInteger(owner, 'maxConnections', maxConnections, 1, MEMORY_BUDGET.maxConnectionsCeiling);
    if (maxConnections > memoryConnections) {
      fail(
        owner,
        'maxConnections',
        maxConnections,
        `must be <= ${memoryConnections}: a task with ${memory} MiB holds that many sockets at their limits ` +
          '(see MEMORY_BUDGET in service/src/container-contract.ts); raise memory or lower maxConnections',
      );
    }

    const { environment, secrets } = this.containerSettings(owner, props, timing, memory, maxConnections);
    this.containerEnvironment = environment;
    this.containerSecrets = secrets;
    this.containerTiming = new ContainerTimingLocal(this, 'ContainerTiming', timing);
    const timed = this.containerTiming;
    const writtenEnvironment: Record<string, string> = {
      ...environment,
      [ENV.keepaliveIntervalMs]: timed.reference('keepalive_interval_ms'),
      [ENV.drainWindowMs]: timed.reference('drain_window_ms'),
      [ENV.drainPollIntervalMs]: timed.reference('drain_poll_interval_ms'),
    };
    // A number in the JSON: written as a string token here, unquoted after JSON.stringify below.
    const stopTimeout = timed.reference('stop_timeout_seconds');

    this.cluster = new EcsCluster(this, 'Cluster', {
      name,
      setting: [{ name: 'containerInsights', value: containerInsights }],
    });

    this.logGroup = new CloudwatchLogGroup(this, 'LogGroup', {
      name: `/ecs/${name}`,
      retentionInDays: logRetentionDays,
    });

    const partition = new DataAwsPartition(this, 'Partition');
    const account = new DataAwsCallerIdentity(this, 'Account').accountId;
    const region = props.region ?? new DataAwsRegion(this, 'Region').region;
    // Against the confused deputy: ECS may assume the roles only on behalf of this account (and, for the
    // task role, for ECS resources in this region of it).
    const assumeByEcsTasks = (condition: Record<string, Record<string, string>>): string =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: condition,
          },
        ],
      });
    const sourceAccount = { StringEquals: { 'aws:SourceAccount': account } };

    // Used by the ECS agent: pull the image, write logs, read the secrets. Not visible to the app.
    this.executionRole = new IamRole(this, 'ExecutionRole', {
      name: `${name}-execution`,
      assumeRolePolicy: assumeByEcsTasks(sourceAccount),
    });
    const executionPolicy = new IamRolePolicyAttachment(this, 'ExecutionRolePolicy', {
      role: this.executionRole.name,
      policyArn: `arn:${partition.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`,
    });
    const secretStatements = secretsStatements(Object.values(secrets), managedSecretArns(props));
    let secretsPolicy: IamRolePolicy | undefined;
    if (secretStatements.length > 0) {
      secretsPolicy = new IamRolePolicy(this, 'ExecutionRoleSecrets', {
        name: 'read-task-secrets',
        role: this.executionRole.id,
        policy: JSON.stringify({ Version: '2012-10-17', Statement: secretStatements }),
      });
    }

    // The app's own identity: no permissions unless asked for (least privilege).
    this.taskRole = new IamRole(this, 'TaskRole', {
      name: `${name}-task`,
      assumeRolePolicy: assumeByEcsTasks({
        ...sourceAccount,
        ArnLike: { 'aws:SourceArn': `arn:${partition.partition}:ecs:${region}:${account}:*` },
      }),
    });
    if (enableExecuteCommand) {
      new IamRolePolicy(this, 'TaskRoleExecuteCommand', {
        name: 'ecs-execute-command',
        role: this.taskRole.id,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'ssmmessages:CreateControlChannel',
                'ssmmessages:CreateDataChannel',
                'ssmmessages:OpenControlChannel',
                'ssmmessages:OpenDataChannel',
              ],
              Resource: '*',
            },
          ],
        }),
      });
    }

    const containerDefinition = {
      name: CONTAINER_NAME,
      image: `${props.imageRepositoryUrl}:${props.imageTag}`,
      essential: true,
      portMappings: [{ containerPort: CONTAINER.port, hostPort: CONTAINER.port, protocol: 'tcp' }],
      environment: Object.entries(writtenEnvironment).map(([n, value]) => ({ name: n, value })),
      secrets: Object.entries(secrets).map(([n, valueFrom]) => ({ name: n, valueFrom })),
      user: CONTAINER.user,
      // ECS Exec's SSM agent cannot run on a read-only root filesystem (aws/containers-roadmap#1359).
      readonlyRootFilesystem: !enableExecuteCommand,
      mountPoints: [{ sourceVolume: TMP_VOLUME, containerPath: CONTAINER.tmpDir, readOnly: false }],
      // SIGTERM -> drain -> exit must fit in here; Fargate allows at most 120 s.
      stopTimeout,
      // The image's own probe (same as its HEALTHCHECK): the path the target group checks, on the container port.
      healthCheck: {
        command: ['CMD', ...CONTAINER.healthCheckCommand],
        interval: 15,
        timeout: 5,
        retries: 3,
        startPeriod: 10,
      },
      // tini as PID 1 forwards SIGTERM to node and reaps children.
      linuxParameters: { initProcessEnabled: true },
      // One file descriptor per open WebSocket.
      ulimits: [{ name: 'nofile', softLimit: 65535, hardLimit: 65535 }],
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': this.logGroup.name,
          'awslogs-region': region,
          'awslogs-stream-prefix': CONTAINER_NAME,
        },
      },
    };

    this.taskDefinition = new EcsTaskDefinition(this, 'TaskDefinition', {
      family: name,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(cpu),
      memory: String(memory),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture },
      executionRoleArn: this.executionRole.arn,
      taskRoleArn: this.taskRole.arn,
      // Fargate task storage, bind-mounted at /tmp: the only writable path.
      volume: [{ name: TMP_VOLUME }],
      containerDefinitions: JSON.stringify([containerDefinition]).replace(JSON.stringify(stopTimeout), stopTimeout),
      lifecycle: {
        // A new revision is registered before the old one is deregistered (the service still runs it).
        createBeforeDestroy: true,
        precondition: timed.taskDefinitionPreconditions(),
      },
    });

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      namePrefix: `${name}-tasks-`,
      description: `Tasks of ${name}: container port from the load balancer only`,
      vpcId: props.vpcId,
      tags: { Name: `${name}-tasks` },
      lifecycle: { createBeforeDestroy: true },
    });
    new VpcSecurityGroupIngressRule(this, 'IngressFromLoadBalancer', {
      securityGroupId: this.securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: CONTAINER.port,
      toPort: CONTAINER.port,
      referencedSecurityGroupId: props.loadBalancerSecurityGroupId,
      description: 'From the load balancer',
    });
    // Tasks reach ECR, CloudWatch Logs, Secrets Manager, Redis and any JWKS endpoint. Protocol -1 takes no ports.
    new VpcSecurityGroupEgressRule(this, 'Egress', {
      securityGroupId: this.securityGroup.id,
      ipProtocol: '-1',
      cidrIpv4: '0.0.0.0/0',
      description: 'Outbound',
    });

    this.service = new EcsService(this, 'Service', {
      name,
      cluster: this.cluster.arn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      networkConfiguration: {
        subnets: props.subnetIds,
        securityGroups: [this.securityGroup.id],
        assignPublicIp: props.assignPublicIp ?? false,
      },
      loadBalancer: [
        { targetGroupArn: props.targetGroupArn, containerName: CONTAINER_NAME, containerPort: CONTAINER.port },
      ],
      healthCheckGracePeriodSeconds,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      enableExecuteCommand,
      dependsOn: [...(props.dependsOn ?? []), executionPolicy, ...(secretsPolicy ? [secretsPolicy] : [])],
      waitForSteadyState,
      ...(steadyStateTimeoutMinutes !== undefined
        ? {
            timeouts: {
              create: `${steadyStateTimeoutMinutes}m`,
              update: `${steadyStateTimeoutMinutes}m`,
              delete: `${steadyStateTimeoutMinutes}m`,
            },
          }
        : {}),
      lifecycle: {
        // Autoscaling moves desired_count; a plan must not move it back.
        ignoreChanges: ['desired_count'],
        // The provider's wait ends at any steady state, also the one a circuit-breaker rollback reaches.
        ...(waitForSteadyState
          ? {
              postcondition: [
                {
                  condition: Op.eq(ref('self.task_definition'), this.taskDefinition.arn),
                  errorMessage:
                    'The ECS service does not run the new task definition: the deployment circuit breaker rolled it back (see the service events).',
                },
              ],
            }
          : {}),
      },
    });
  }

  /** Builds and checks the container's environment and secrets; the names come from container-contract.ts. */
  private containerSettings(
    owner: string,
    props: WebSocketFargateServiceProps,
    timing: WebSocketTiming,
    memory: number,
    maxConnections: number,
  ): { environment: Record<string, string>; secrets: Record<string, string> } {
    const managed: Record<string, string> = {
      // The memory budget: this many sockets at their limits fit in the task, and V8 may use that memory.
      [ENV.maxConnections]: String(maxConnections),
      [ENV.nodeOptions]: `--max-old-space-size=${Math.floor(memory * MEMORY_BUDGET.heapShare)}`,
      [ENV.port]: String(CONTAINER.port),
      [ENV.host]: '0.0.0.0',
      [ENV.nodeEnv]: props.nodeEnv ?? 'production',
      [ENV.logLevel]: props.logLevel ?? 'info',
      [ENV.version]: props.imageTag,
      ...timingEnvironment(timing),
      ...historyEnvironment(owner, props.history ?? {}),
    };
    if (props.allowedOrigins !== undefined) {
      if (props.allowedOrigins.length === 0) {
        fail(owner, 'allowedOrigins', '', 'must list at least one origin, or be left out');
      }
      props.allowedOrigins.forEach((o, i) =>
        checkPattern(
          owner,
          `allowedOrigins[${i}]`,
          o,
          /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$/,
          'must be an exact origin such as "https://app.example.com" (scheme://host[:port], no path, no wildcard)',
        ),
      );
      managed[ENV.allowedOrigins] = props.allowedOrigins.join(',');
    }
    if (props.publicOrigin !== undefined) {
      checkPattern(
        owner,
        'publicOrigin',
        props.publicOrigin,
        /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$/,
        'must be an exact origin such as "https://api.example.com" (scheme://host[:port], no path, no wildcard)',
      );
      managed[ENV.publicOrigin] = props.publicOrigin;
    }
    const managedSecrets: Record<string, string> = {};
    if (props.redis) {
      managed[ENV.redisUrl] = props.redis.url;
      managed[ENV.redisTls] = 'true';
      managedSecrets[ENV.redisAuthToken] = props.redis.authTokenSecretArn;
    }
    if (props.jwtSecretArn !== undefined) {
      checkArn(owner, 'jwtSecretArn', props.jwtSecretArn, 'secretsmanager');
      managedSecrets[ENV.jwtSecret] = props.jwtSecretArn;
    }

    const extraEnv = props.environment ?? {};
    const extraSecrets = props.secrets ?? {};
    const validName = /^[A-Za-z_][A-Za-z0-9_]*$/;
    const allManaged = new Set([...Object.keys(managed), ...Object.keys(managedSecrets)]);
    for (const [kind, extra] of [
      ['environment', extraEnv],
      ['secrets', extraSecrets],
    ] as const) {
      for (const key of Object.keys(extra)) {
        checkPattern(owner, `${kind}.${key}`, key, validName, 'must be a variable name ([A-Za-z_][A-Za-z0-9_]*)');
        if (allManaged.has(key)) {
          fail(owner, `${kind}.${key}`, key, 'is set by this construct from its typed props; use the prop instead');
        }
      }
    }
    for (const key of Object.keys(extraSecrets)) {
      if (key in extraEnv) {
        fail(owner, `secrets.${key}`, key, 'is also in environment; a variable is either plain or secret');
      }
      const arn = extraSecrets[key];
      if (!isUnresolved(arn) && !/^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:.+$/.test(arn)) {
        fail(owner, `secrets.${key}`, arn, 'must be a Secrets Manager or SSM parameter ARN');
      }
    }
    return {
      environment: sortByKey({ ...managed, ...extraEnv }),
      secrets: sortByKey({ ...managedSecrets, ...extraSecrets }),
    };
  }
}

/** Seconds one rollout may take before ECS reaches steady state, besides the grace period and draining. */
const TASK_START_ALLOWANCE_SECONDS = 120;

/**
 * The steady-state wait in minutes (undefined when not waiting): checks a given value against one rollout,
 * or derives it as three rollouts and at least the provider's 20 minutes.
 */
function resolveSteadyStateTimeout(
  owner: string,
  wait: boolean,
  minutes: number | undefined,
  healthCheckGracePeriodSeconds: number,
  timing: WebSocketTiming,
): number | undefined {
  if (!wait) {
    if (minutes !== undefined) {
      fail(owner, 'steadyStateTimeoutMinutes', minutes, 'applies only with waitForSteadyState: true');
    }
    return undefined;
  }
  const rolloutSeconds =
    TASK_START_ALLOWANCE_SECONDS +
    healthCheckGracePeriodSeconds +
    timing.deregistrationDelaySeconds +
    timing.stopTimeoutSeconds;
  if (minutes === undefined) return Math.max(20, Math.ceil((3 * rolloutSeconds) / 60));
  const min = Math.ceil(rolloutSeconds / 60);
  if (!Number.isInteger(minutes) || minutes < min || minutes > 480) {
    fail(
      owner,
      'steadyStateTimeoutMinutes',
      minutes,
      `must be an integer in ${min}..480: at least one rollout (${TASK_START_ALLOWANCE_SECONDS} s start + ` +
        `healthCheckGracePeriodSeconds ${healthCheckGracePeriodSeconds} + deregistrationDelaySeconds ` +
        `${timing.deregistrationDelaySeconds} + stopTimeoutSeconds ${timing.stopTimeoutSeconds} = ${rolloutSeconds} s)`,
    );
  }
  return minutes;
}

/** valueFrom ARNs this construct sets itself, all of them Secrets Manager secrets (even as references). */
function managedSecretArns(props: WebSocketFargateServiceProps): Set<string> {
  return new Set([
    ...(props.redis ? [props.redis.authTokenSecretArn] : []),
    ...(props.jwtSecretArn !== undefined ? [props.jwtSecretArn] : []),
  ]);
}

/**
 * The execution role's statements for the task's secrets: `secretsmanager:GetSecretValue` on Secrets Manager
 * ARNs and `ssm:GetParameters` on SSM parameter ARNs, each only on its own service (the other action would
 * grant nothing there). A reference resolved only at apply whose service is unknown at synth is named in both.
 */
function secretsStatements(valueFroms: string[], secretsManager: Set<string>): object[] {
  const secretResources = new Set<string>();
  const parameterResources = new Set<string>();
  for (const valueFrom of valueFroms) {
    const known = secretsManager.has(valueFrom) || /^arn:aws[a-z-]*:secretsmanager:/.test(valueFrom);
    if (known || isUnresolved(valueFrom)) secretResources.add(secretPolicyResource(valueFrom));
    if (!known) parameterResources.add(valueFrom);
  }
  return [
    ...(secretResources.size > 0
      ? [
          {
            Sid: 'ReadSecrets',
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: [...secretResources],
          },
        ]
      : []),
    ...(parameterResources.size > 0
      ? [{ Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: [...parameterResources] }]
      : []),
  ];
}

/**
 * The IAM resource that matches an ECS secret's `valueFrom`. ECS accepts Secrets Manager ARNs with a JSON key,
 * version stage and version id after the secret (`...:secret:name-AbCdEf:key:stage:id`) and partial ARNs without
 * the random 6-character suffix; IAM only matches the secret's own full ARN. So: the first 7 `:` parts, plus
 * `-??????` when the name has no `-XXXXXX` suffix. (Like AWS, a name that itself ends in `-` and 6 characters is
 * taken for a full ARN.) SSM parameter ARNs and unresolved tokens are used as they are.
 */
function secretPolicyResource(valueFrom: string): string {
  if (isUnresolved(valueFrom) || !/^arn:aws[a-z-]*:secretsmanager:/.test(valueFrom)) return valueFrom;
  const secretArn = valueFrom.split(':').slice(0, 7).join(':');
  return /-[A-Za-z0-9]{6}$/.test(secretArn) ? secretArn : `${secretArn}-??????`;
}

/** Sorted by name: ECS returns them sorted, and a stable order keeps plans and snapshots quiet. */
function sortByKey(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The history window as container environment, validated against the contract's ranges. */
function historyEnvironment(owner: string, history: HistorySettings): Record<string, string> {
  const maxEvents = history.maxEvents ?? HISTORY_DEFAULTS.maxEvents;
  const ttlSeconds = history.ttlSeconds ?? HISTORY_DEFAULTS.ttlSeconds;
  checkInteger(owner, 'history.maxEvents', maxEvents, HISTORY_RANGES.maxEvents.min, HISTORY_RANGES.maxEvents.max);
  checkInteger(owner, 'history.ttlSeconds', ttlSeconds, HISTORY_RANGES.ttlSeconds.min, HISTORY_RANGES.ttlSeconds.max);
  return { [ENV.historyMaxEvents]: String(maxEvents), [ENV.historyTtlMs]: String(ttlSeconds * 1000) };
}
