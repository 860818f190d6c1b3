import { Construct } from 'constructs';
import { type TerraformResource, type TerraformResourceLifecycle } from 'cdktf';
import { PATHS } from '../service/src/container-contract';
import { ServiceAlarms, type ServiceAlarmsProps } from './alarms';
import { AliasRecords } from './alias-records';
import { type CertificateKeyAlgorithm, DnsValidatedCertificate } from './certificate';
import { DEFAULT_DESIRED_COUNT, WebSocketFargateService, type WebSocketFargateServiceProps } from './fargate-service';
import { FanoutRedis, type FanoutRedisProps } from './fanout-redis';
import { HostedZone } from './hosted-zone';
import { WebSocketLoadBalancer, type WebSocketLoadBalancerProps } from './load-balancer';
import { existingNetwork, type ExistingNetworkProps, type INetwork, Network, type NetworkProps } from './network';
import { ContainerRegistry, type ContainerRegistryProps } from './registry';
import { AUTOSCALING_DEFAULTS, ServiceAutoscaling, type ServiceAutoscalingProps } from './service-autoscaling';
import { ServiceTargetGroup, type ServiceTargetGroupProps } from './target-group';
import { resolveTiming, type WebSocketTiming, type WebSocketTimingProps } from './timing';
import { checkArn, checkCounts, checkDomainName, checkInZone, checkResourceName, fail } from './validation';

// The settings below are the inner constructs' own props, picked: each default is documented (and applied)
// once, on the construct that applies it. Where this construct passes a value of its own instead, its prop
// below says so.

/** ECR settings: see ContainerRegistryProps. */
export type RegistrySettings = ContainerRegistryProps;

/** Load balancer settings: see WebSocketLoadBalancerProps. */
export type LoadBalancerSettings = Pick<
  WebSocketLoadBalancerProps,
  'name' | 'deletionProtection' | 'ingressCidrs' | 'ingressIpv6Cidrs' | 'sslPolicy' | 'accessLogs'
>;

/** Target group settings: see ServiceTargetGroupProps. */
export type TargetGroupSettings = Pick<
  ServiceTargetGroupProps,
  'name' | 'namePrefix' | 'healthCheck' | 'stickinessCookieDurationSeconds'
>;

/** Task and container settings: see WebSocketFargateServiceProps. */
export type ServiceSettings = Pick<
  WebSocketFargateServiceProps,
  | 'cpu'
  | 'memory'
  | 'cpuArchitecture'
  | 'healthCheckGracePeriodSeconds'
  | 'waitForSteadyState'
  | 'steadyStateTimeoutMinutes'
  | 'logRetentionDays'
  | 'containerInsights'
  | 'enableExecuteCommand'
  | 'nodeEnv'
  | 'logLevel'
  | 'allowedOrigins'
  | 'maxConnections'
  | 'history'
  | 'jwtSecretArn'
  | 'environment'
  | 'secrets'
>;

/** The autoscaling settings (see ServiceAutoscalingProps) plus the count at creation (see WebSocketFargateServiceProps). */
export type ScalingSettings = Omit<
  ServiceAutoscalingProps,
  'clusterName' | 'serviceName' | 'loadBalancerArnSuffix' | 'targetGroupArnSuffix'
> &
  Pick<WebSocketFargateServiceProps, 'desiredCount'>;

/** Redis fan-out settings: see FanoutRedisProps, plus whether there is Redis at all. */
export interface RedisSettings extends Pick<
  FanoutRedisProps,
  'nodeType' | 'nodeCount' | 'engineVersion' | 'snapshotRetentionDays' | 'authTokenUpdateStrategy'
> {
  /**
   * Create the Redis fan-out. Off, events reach only the sockets of the task that published them.
   * @default - on when scaling.maxCount > 1 (events must reach sockets on every task)
   */
  readonly enabled?: boolean;
}

/** Alarm settings: see ServiceAlarmsProps. */
export type AlarmSettings = Pick<
  ServiceAlarmsProps,
  'snsTopicArn' | 'createTopic' | 'topicKmsKeyArn' | 'subscriptions' | 'thresholds'
>;

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
  /**
   * ECR repository.
   * @default - see ContainerRegistryProps; `repositoryName`: the value of `name`
   */
  readonly registry?: RegistrySettings;
  /**
   * Load balancer. Its idle timeout comes from `timing`, its dual-stack mode from the network.
   * @default - see WebSocketLoadBalancerProps; `name`: the value of `name`
   */
  readonly loadBalancer?: LoadBalancerSettings;
  /**
   * Target group. Its deregistration delay comes from `timing`.
   * @default - see ServiceTargetGroupProps; `name`: the value of `name`
   */
  readonly targetGroup?: TargetGroupSettings;
  /**
   * ECS service, task and container. Its stop timeout and drain settings come from `timing`.
   * @default - see WebSocketFargateServiceProps; `allowedOrigins`: `['https://<domainName>']`
   */
  readonly service?: ServiceSettings;
  /**
   * Task counts and autoscaling.
   * @default - see ServiceAutoscalingProps and WebSocketFargateServiceProps (desiredCount)
   */
  readonly scaling?: ScalingSettings;
  /**
   * Redis fan-out between tasks.
   * @default - see RedisSettings and FanoutRedisProps
   */
  readonly redis?: RedisSettings;
  /**
   * CloudWatch alarms and their topic.
   * @default - see ServiceAlarmsProps
   */
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
    // Resolved here too: Redis defaults to on only when more than one task may run.
    const counts = {
      desiredCount: scaling.desiredCount ?? DEFAULT_DESIRED_COUNT,
      minCount: scaling.minCount ?? AUTOSCALING_DEFAULTS.minCount,
      maxCount: scaling.maxCount ?? AUTOSCALING_DEFAULTS.maxCount,
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
      // The API's own origin stays allowed when serviceSettings.allowedOrigins lists the apps' origins.
      publicOrigin: `https://${props.domainName}`,
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
