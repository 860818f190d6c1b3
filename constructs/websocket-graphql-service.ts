import { Construct } from 'constructs';
import { type TerraformResource, type TerraformResourceLifecycle } from 'cdktf';
import { PATHS } from '../service/src/container-contract';
import { type AlarmThresholds, ServiceAlarms } from './alarms';
import { AliasRecords } from './alias-records';
import { type CertificateKeyAlgorithm, DnsValidatedCertificate } from './certificate';
import {
  type ContainerInsights,
  type CpuArchitecture,
  type LogLevel,
  type NodeEnv,
  WebSocketFargateService,
} from './fargate-service';
import { FanoutRedis } from './fanout-redis';
import { HostedZone } from './hosted-zone';
import { type LoadBalancerAccessLogs, type TlsPolicy, WebSocketLoadBalancer } from './load-balancer';
import { existingNetwork, type ExistingNetworkProps, type INetwork, Network, type NetworkProps } from './network';
import { ContainerRegistry, type RegistryEncryption } from './registry';
import { ServiceAutoscaling, type ServiceAutoscalingProps } from './service-autoscaling';
import { ServiceTargetGroup, type TargetGroupHealthCheck } from './target-group';
import { resolveTiming, type WebSocketTiming, type WebSocketTimingProps } from './timing';
import { checkArn, checkCounts, checkDomainName, checkInZone, checkResourceName, fail } from './validation';

/** ECR settings; the repository is named after the service. */
export interface RegistrySettings {
  /** @default '<name>' */
  readonly repositoryName?: string;
  /** @default 30 */
  readonly keepLastImages?: number;
  /** @default 'AES256' */
  readonly encryption?: RegistryEncryption;
  /** @default - the AWS-managed key when encryption is 'KMS' */
  readonly kmsKeyArn?: string;
  /** @default false */
  readonly forceDelete?: boolean;
}

/** Load balancer settings. */
export interface LoadBalancerSettings {
  /** @default '<name>' */
  readonly name?: string;
  /** @default false */
  readonly deletionProtection?: boolean;
  /** @default ['0.0.0.0/0'] */
  readonly ingressCidrs?: string[];
  /** @default - ['::/0'] when the network is dual-stack, else [] */
  readonly ingressIpv6Cidrs?: string[];
  /** @default 'ELBSecurityPolicy-TLS13-1-2-2021-06' */
  readonly sslPolicy?: TlsPolicy;
  /** @default - no access logs */
  readonly accessLogs?: LoadBalancerAccessLogs;
}

/** Target group settings. */
export interface TargetGroupSettings {
  /** @default '<name>' */
  readonly name?: string;
  /** @default - see TargetGroupHealthCheck (path /health, 200, every 15 s, 5 s timeout, 2/3) */
  readonly healthCheck?: TargetGroupHealthCheck;
  /** @default - stickiness off */
  readonly stickinessCookieDurationSeconds?: number;
}

/** Task and container settings. */
export interface ServiceSettings {
  /** @default 512 */
  readonly cpu?: number;
  /** @default 1024 */
  readonly memory?: number;
  /** @default 'X86_64' */
  readonly cpuArchitecture?: CpuArchitecture;
  /** @default 60 */
  readonly healthCheckGracePeriodSeconds?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** @default 'enabled' */
  readonly containerInsights?: ContainerInsights;
  /**
   * ECS Exec into the tasks; also makes the root filesystem writable, which the SSM agent needs.
   * @default false
   */
  readonly enableExecuteCommand?: boolean;
  /** @default 'production' */
  readonly nodeEnv?: NodeEnv;
  /** @default 'info' */
  readonly logLevel?: LogLevel;
  /** @default - ['https://<domainName>'] */
  readonly allowedOrigins?: string[];
  /** @default - none */
  readonly jwtSecretArn?: string;
  /** @default {} */
  readonly environment?: Record<string, string>;
  /** @default {} */
  readonly secrets?: Record<string, string>;
}

/** The autoscaling settings (see ServiceAutoscalingProps) plus the count at creation. */
export interface ScalingSettings extends Omit<
  ServiceAutoscalingProps,
  'clusterName' | 'serviceName' | 'loadBalancerArnSuffix' | 'targetGroupArnSuffix'
> {
  /** Tasks at creation (autoscaling owns the count afterwards). @default 2 */
  readonly desiredCount?: number;
}

/** Redis fan-out settings. */
export interface RedisSettings {
  /** @default - on when scaling.maxCount > 1 (events must reach sockets on every task) */
  readonly enabled?: boolean;
  /** @default 'cache.t4g.micro' */
  readonly nodeType?: string;
  /** @default 2 */
  readonly nodeCount?: number;
  /** @default '7.1' */
  readonly engineVersion?: string;
  /** @default 0 */
  readonly snapshotRetentionDays?: number;
}

/** Alarm settings. */
export interface AlarmSettings {
  /** @default - none */
  readonly snsTopicArn?: string;
  /** @default false */
  readonly createTopic?: boolean;
  /**
   * Customer-managed KMS key for the created topic; its policy must allow `cloudwatch.amazonaws.com`
   * `kms:Decrypt` and `kms:GenerateDataKey*`.
   * @default - the topic is not encrypted with KMS
   */
  readonly topicKmsKeyArn?: string;
  /** @default - see AlarmThresholds */
  readonly thresholds?: AlarmThresholds;
}

export interface WebSocketGraphqlServiceProps {
  /** Public name of the service (`api.example.com`): certificate, DNS records, URLs. */
  readonly domainName: string;
  /** Image tag to run (usually the `image_tag` Terraform variable). */
  readonly imageTag: string;
  /**
   * Hosted zone looked up by name; then the domain is checked to be inside it at synth.
   * @default - none; then hostedZoneId is required
   */
  readonly hostedZoneName?: string;
  /**
   * Hosted zone id, used without a lookup.
   * @default - none; then hostedZoneName is required
   */
  readonly hostedZoneId?: string;
  /**
   * Base name of the resources (1..32 lower-case letters, digits, single hyphens).
   * @default 'ws-graphql'
   */
  readonly name?: string;
  /**
   * Region of the stack: for the awslogs driver and the ALB access-log bucket policy.
   * @default - the provider's region
   */
  readonly region?: string;
  /**
   * More names on the certificate (same hosted zone).
   * @default []
   */
  readonly subjectAlternativeNames?: string[];
  /**
   * Key algorithm of the created certificate.
   * @default 'RSA_2048'
   */
  readonly certificateKeyAlgorithm?: CertificateKeyAlgorithm;
  /**
   * Bring your own ACM certificate (issued, same region) instead of creating one.
   * @default - a DNS-validated certificate is created
   */
  readonly certificateArn?: string;
  /**
   * Settings of the VPC created here.
   * @default - see NetworkProps
   */
  readonly network?: Omit<NetworkProps, 'name'>;
  /**
   * Bring your own VPC and subnets instead.
   * @default - a VPC is created
   */
  readonly existingNetwork?: ExistingNetworkProps;
  /**
   * WebSocket timing: the one source for idle timeout, keepalive, drain, deregistration and stop timeout.
   * @default - see WebSocketTimingProps
   */
  readonly timing?: WebSocketTimingProps;
  /** @default - see RegistrySettings */
  readonly registry?: RegistrySettings;
  /** @default - see LoadBalancerSettings */
  readonly loadBalancer?: LoadBalancerSettings;
  /** @default - see TargetGroupSettings */
  readonly targetGroup?: TargetGroupSettings;
  /** @default - see ServiceSettings */
  readonly service?: ServiceSettings;
  /** @default - see ScalingSettings */
  readonly scaling?: ScalingSettings;
  /** @default - see RedisSettings */
  readonly redis?: RedisSettings;
  /** @default - see AlarmSettings */
  readonly alarms?: AlarmSettings;
}

/**
 * Everything a GraphQL subscriptions service needs on AWS behind an ALB that terminates TLS: registry,
 * network, certificate, load balancer, target group, ECS service with autoscaling, DNS, Redis fan-out and
 * alarms. The one place where they are wired to each other, and where the WebSocket timing is resolved
 * and handed to the ALB, the target group and the task.
 */
export class WebSocketGraphqlService extends Construct {
  public readonly timing: WebSocketTiming;
  public readonly hostedZone: HostedZone;
  public readonly registry: ContainerRegistry;
  public readonly network: INetwork;
  /** The certificate created here; undefined when `certificateArn` was given. */
  public readonly certificate?: DnsValidatedCertificate;
  public readonly certificateArn: string;
  public readonly targetGroup: ServiceTargetGroup;
  public readonly loadBalancer: WebSocketLoadBalancer;
  /** Undefined when Redis is off. */
  public readonly redis?: FanoutRedis;
  public readonly service: WebSocketFargateService;
  public readonly autoscaling: ServiceAutoscaling;
  public readonly dns: AliasRecords;
  public readonly alarms: ServiceAlarms;
  /** `https://<domainName>` */
  public readonly httpsUrl: string;
  /** `wss://<domainName>/graphql` */
  public readonly wssUrl: string;

  constructor(scope: Construct, id: string, props: WebSocketGraphqlServiceProps) {
    super(scope, id);
    const owner = this.node.path;
    const name = props.name ?? 'ws-graphql';
    checkResourceName(owner, 'name', name, 32);
    checkDomainName(owner, 'domainName', props.domainName);
    if (props.domainName.startsWith('*.')) {
      fail(owner, 'domainName', props.domainName, 'must be a single name, not a wildcard (it becomes A/AAAA records)');
    }
    if (props.network && props.existingNetwork) {
      fail(
        owner,
        'network',
        'network + existingNetwork',
        'and existingNetwork exclude each other: create a VPC or bring one',
      );
    }
    if (props.certificateArn !== undefined) {
      checkArn(owner, 'certificateArn', props.certificateArn, 'acm');
      if (props.subjectAlternativeNames || props.certificateKeyAlgorithm) {
        fail(
          owner,
          'subjectAlternativeNames',
          props.subjectAlternativeNames ?? props.certificateKeyAlgorithm,
          'and certificateKeyAlgorithm apply only to a certificate created here, not to certificateArn',
        );
      }
    }

    const scaling = props.scaling ?? {};
    const counts = {
      desiredCount: scaling.desiredCount ?? 2,
      minCount: scaling.minCount ?? 2,
      maxCount: scaling.maxCount ?? 4,
    };
    checkCounts(owner, counts, 'scaling.');

    // The single source: every timing value below comes from this object.
    this.timing = resolveTiming(props.timing, `${owner}: timing`);

    this.hostedZone = new HostedZone(this, 'HostedZone', {
      ...(props.hostedZoneName !== undefined ? { zoneName: props.hostedZoneName } : {}),
      ...(props.hostedZoneId !== undefined ? { zoneId: props.hostedZoneId } : {}),
    });
    if (this.hostedZone.zoneName !== undefined) {
      checkInZone(owner, 'domainName', props.domainName, this.hostedZone.zoneName);
    }

    this.registry = new ContainerRegistry(this, 'Registry', {
      repositoryName: name,
      ...props.registry,
    });

    this.network = props.existingNetwork
      ? existingNetwork(owner, props.existingNetwork)
      : new Network(this, 'Network', { name, ...props.network });

    if (props.certificateArn !== undefined) {
      this.certificateArn = props.certificateArn;
    } else {
      this.certificate = new DnsValidatedCertificate(this, 'Certificate', {
        domainName: props.domainName,
        zoneId: this.hostedZone.zoneId,
        ...(this.hostedZone.zoneName !== undefined ? { zoneName: this.hostedZone.zoneName } : {}),
        ...(props.subjectAlternativeNames ? { subjectAlternativeNames: props.subjectAlternativeNames } : {}),
        ...(props.certificateKeyAlgorithm ? { keyAlgorithm: props.certificateKeyAlgorithm } : {}),
      });
      this.certificateArn = this.certificate.certificateArn;
    }

    this.targetGroup = new ServiceTargetGroup(this, 'TargetGroup', {
      name,
      vpcId: this.network.vpcId,
      deregistrationDelaySeconds: this.timing.deregistrationDelaySeconds,
      ...props.targetGroup,
    });

    this.loadBalancer = new WebSocketLoadBalancer(this, 'LoadBalancer', {
      name,
      vpcId: this.network.vpcId,
      subnetIds: this.network.publicSubnetIds,
      certificateArn: this.certificateArn,
      targetGroupArn: this.targetGroup.arn,
      idleTimeoutSeconds: this.timing.idleTimeoutSeconds,
      dualStack: this.network.dualStack,
      ...(props.region !== undefined ? { region: props.region } : {}),
      ...props.loadBalancer,
    });

    const redisSettings = props.redis ?? {};
    const { enabled: redisEnabled = counts.maxCount > 1, ...redisProps } = redisSettings;
    if (redisEnabled) {
      this.redis = new FanoutRedis(this, 'Redis', {
        name,
        vpcId: this.network.vpcId,
        subnetIds: this.network.privateSubnetIds,
        ...redisProps,
      });
    }

    const serviceSettings = props.service ?? {};
    // Without NAT the private subnets cannot reach ECR or CloudWatch: run the tasks in the public
    // subnets with a public IP instead (the security group still admits only the ALB).
    const tasksInPublicSubnets = !this.network.privateSubnetsHaveEgress;
    this.service = new WebSocketFargateService(this, 'Service', {
      name,
      ...(props.region !== undefined ? { region: props.region } : {}),
      vpcId: this.network.vpcId,
      subnetIds: tasksInPublicSubnets ? this.network.publicSubnetIds : this.network.privateSubnetIds,
      assignPublicIp: tasksInPublicSubnets,
      imageRepositoryUrl: this.registry.repositoryUrl,
      imageTag: props.imageTag,
      targetGroupArn: this.targetGroup.arn,
      loadBalancerSecurityGroupId: this.loadBalancer.securityGroupId,
      dependsOn: [this.loadBalancer.httpListener, this.loadBalancer.httpsListener],
      timing: this.timing,
      desiredCount: counts.desiredCount,
      allowedOrigins: [`https://${props.domainName}`],
      ...serviceSettings,
      ...(this.redis ? { redis: { url: this.redis.url, authTokenSecretArn: this.redis.authTokenSecretArn } } : {}),
    });
    this.loadBalancer.allowTrafficTo('EgressToTasks', this.service.securityGroup.id, this.service.containerPort);
    // The timing rules that span resources, checked again by Terraform so a plan of edited JSON/HCL sees them.
    addConditions(this.loadBalancer.loadBalancer, {
      postcondition: this.service.containerTiming.loadBalancerPostconditions(),
    });
    addConditions(this.targetGroup.targetGroup, {
      postcondition: this.service.containerTiming.targetGroupPostconditions(),
    });
    this.redis?.allowClient('IngressFromTasks', this.service.securityGroup.id);

    const { desiredCount: _desiredCount, ...autoscaling } = scaling;
    this.autoscaling = new ServiceAutoscaling(this, 'Autoscaling', {
      ...autoscaling,
      clusterName: this.service.cluster.name,
      serviceName: this.service.service.name,
      loadBalancerArnSuffix: this.loadBalancer.arnSuffix,
      targetGroupArnSuffix: this.targetGroup.arnSuffix,
      minCount: counts.minCount,
      maxCount: counts.maxCount,
    });

    this.dns = new AliasRecords(this, 'Dns', {
      zoneId: this.hostedZone.zoneId,
      domainName: props.domainName,
      targetDnsName: this.loadBalancer.dnsName,
      targetZoneId: this.loadBalancer.zoneId,
      ipv6: this.network.dualStack,
    });

    this.alarms = new ServiceAlarms(this, 'Alarms', {
      name,
      loadBalancerArnSuffix: this.loadBalancer.arnSuffix,
      targetGroupArnSuffix: this.targetGroup.arnSuffix,
      clusterName: this.service.cluster.name,
      serviceName: this.service.service.name,
      ...props.alarms,
    });

    this.httpsUrl = `https://${props.domainName}`;
    this.wssUrl = `wss://${props.domainName}${PATHS.graphql}`;
  }
}

/** Adds lifecycle conditions to a resource, keeping the lifecycle settings it has. */
function addConditions(
  resource: TerraformResource,
  conditions: Pick<TerraformResourceLifecycle, 'precondition' | 'postcondition'>,
): void {
  const merged: Record<string, unknown> = {};
  for (const kind of ['precondition', 'postcondition'] as const) {
    const all = [...(resource.lifecycle?.[kind] ?? []), ...(conditions[kind] ?? [])];
    if (all.length > 0) merged[kind] = all;
  }
  resource.lifecycle = { ...resource.lifecycle, ...merged };
}
