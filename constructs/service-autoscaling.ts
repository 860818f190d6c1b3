import { Construct } from 'constructs';
import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import { checkInteger, fail } from './validation';

/** Task count bounds when not given (the composite construct reads them to decide on Redis). */
export const AUTOSCALING_DEFAULTS = { minCount: 2, maxCount: 4 } as const;

export interface ServiceAutoscalingProps {
  /** ECS cluster name. */
  readonly clusterName: string;
  /** ECS service name. */
  readonly serviceName: string;
  /** `app/<name>/<id>` of the ALB, for the request-count metric. */
  readonly loadBalancerArnSuffix: string;
  /** `targetgroup/<name>/<id>`, for the request-count metric. */
  readonly targetGroupArnSuffix: string;
  /**
   * Fewest tasks (two keep a task in each of two AZs).
   * @default 2
   */
  readonly minCount?: number;
  /**
   * Most tasks.
   * @default 4
   */
  readonly maxCount?: number;
  /**
   * Average CPU utilization (percent, 10..90) to hold.
   * @default 60
   */
  readonly cpuTargetPercent?: number;
  /**
   * ALB requests per target per minute to hold. A WebSocket counts once, at its upgrade, so this mostly
   * tracks HTTP queries and reconnect storms; CPU tracks busy sockets.
   * @default 1000
   */
  readonly requestsPerTarget?: number;
  /**
   * Seconds between scale-in steps (0..3600). Long: each scale-in drains a task's sockets.
   * @default 300
   */
  readonly scaleInCooldownSeconds?: number;
  /**
   * Seconds between scale-out steps (0..3600).
   * @default 60
   */
  readonly scaleOutCooldownSeconds?: number;
}

/** Target-tracking autoscaling of the ECS service on CPU and on ALB requests per target. */
export class ServiceAutoscaling extends Construct {
  public readonly target: AppautoscalingTarget;
  public readonly cpuPolicy: AppautoscalingPolicy;
  public readonly requestCountPolicy: AppautoscalingPolicy;

  constructor(scope: Construct, id: string, props: ServiceAutoscalingProps) {
    super(scope, id);
    const owner = this.node.path;
    const minCount = props.minCount ?? AUTOSCALING_DEFAULTS.minCount;
    const maxCount = props.maxCount ?? AUTOSCALING_DEFAULTS.maxCount;
    const cpuTargetPercent = props.cpuTargetPercent ?? 60;
    const requestsPerTarget = props.requestsPerTarget ?? 1000;
    const scaleInCooldown = props.scaleInCooldownSeconds ?? 300;
    const scaleOutCooldown = props.scaleOutCooldownSeconds ?? 60;

    checkInteger(owner, 'minCount', minCount, 0, 5000);
    checkInteger(owner, 'maxCount', maxCount, 1, 5000);
    if (minCount > maxCount) fail(owner, 'minCount', minCount, `must be <= maxCount (${maxCount})`);
    checkInteger(owner, 'cpuTargetPercent', cpuTargetPercent, 10, 90);
    checkInteger(owner, 'requestsPerTarget', requestsPerTarget, 1, 1_000_000);
    checkInteger(owner, 'scaleInCooldownSeconds', scaleInCooldown, 0, 3600);
    checkInteger(owner, 'scaleOutCooldownSeconds', scaleOutCooldown, 0, 3600);

    this.target = new AppautoscalingTarget(this, 'Target', {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${props.clusterName}/${props.serviceName}`,
      minCapacity: minCount,
      maxCapacity: maxCount,
    });

    const common = {
      policyType: 'TargetTrackingScaling',
      serviceNamespace: this.target.serviceNamespace,
      scalableDimension: this.target.scalableDimension,
      resourceId: this.target.resourceId,
    };
    this.cpuPolicy = new AppautoscalingPolicy(this, 'CpuPolicy', {
      ...common,
      name: `${props.serviceName}-cpu`,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: cpuTargetPercent,
        predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        scaleInCooldown,
        scaleOutCooldown,
      },
    });
    this.requestCountPolicy = new AppautoscalingPolicy(this, 'RequestCountPolicy', {
      ...common,
      name: `${props.serviceName}-requests`,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: requestsPerTarget,
        predefinedMetricSpecification: {
          predefinedMetricType: 'ALBRequestCountPerTarget',
          resourceLabel: `${props.loadBalancerArnSuffix}/${props.targetGroupArnSuffix}`,
        },
        scaleInCooldown,
        scaleOutCooldown,
      },
    });
  }
}
