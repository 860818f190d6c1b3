import { Construct } from 'constructs';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { CONTAINER, PATHS } from '../service/src/container-contract';
import { resolveTiming } from './timing';
import { checkElbName, checkInteger, checkPattern, fail } from './validation';

export interface TargetGroupHealthCheck {
  /**
   * Path the ALB probes; the service answers 200 while it is alive.
   * @default PATHS.health ('/health')
   */
  readonly path?: string;
  /**
   * HTTP codes counted as healthy: `200`, `200,204` or `200-299`.
   * @default '200'
   */
  readonly matcher?: string;
  /**
   * Seconds between probes, 5..300, greater than `timeoutSeconds`.
   * @default 15
   */
  readonly intervalSeconds?: number;
  /**
   * Seconds a probe may take, 2..120.
   * @default 5
   */
  readonly timeoutSeconds?: number;
  /**
   * Consecutive successes before a target is healthy, 2..10.
   * @default 2
   */
  readonly healthyThreshold?: number;
  /**
   * Consecutive failures before a target is unhealthy, 2..10.
   * @default 3
   */
  readonly unhealthyThreshold?: number;
}

export interface ServiceTargetGroupProps {
  /** VPC of the tasks. */
  readonly vpcId: string;
  /**
   * Name of the service (1..32 letters, digits, hyphens): the target group's `Name` tag, and the source of
   * the default `namePrefix`. The group itself has no fixed name, so that it can be replaced while in use.
   * @default 'ws-graphql'
   */
  readonly name?: string;
  /**
   * Prefix of the generated target group name (1..6 letters, digits, hyphens; the provider appends 26
   * characters). A generated name lets a change that forces a new group (port, protocol, VPC) create the
   * new one before the old one is destroyed, which a fixed name cannot (ResourceInUse / duplicate name).
   * @default - the first 5 characters of `name` without trailing hyphens, plus "-" ('ws-gr-')
   */
  readonly namePrefix?: string;
  /**
   * Port the tasks listen on.
   * @default CONTAINER.port (4000)
   */
  readonly port?: number;
  /**
   * Seconds the ALB keeps a deregistered target's connections (0..3600); comes from the WebSocket timing.
   * @default - the default timing's (resolveTiming): drainWindowSeconds + drainPollIntervalSeconds + 10, rounded up (41)
   */
  readonly deregistrationDelaySeconds?: number;
  /**
   * Health check settings.
   * @default - see TargetGroupHealthCheck
   */
  readonly healthCheck?: TargetGroupHealthCheck;
  /**
   * ALB cookie stickiness lifetime in seconds (1..604800). Pure WebSocket needs none (a socket stays on
   * its task); long-polling fallbacks that keep state per task do.
   * @default - stickiness off
   */
  readonly stickinessCookieDurationSeconds?: number;
}

/** IP target group for Fargate tasks, speaking HTTP/1.1 (WebSocket upgrades need it). */
export class ServiceTargetGroup extends Construct {
  public readonly targetGroup: LbTargetGroup;
  public readonly arn: string;
  /** `targetgroup/<name>/<id>`: the CloudWatch dimension and the autoscaling resource label part. */
  public readonly arnSuffix: string;

  constructor(scope: Construct, id: string, props: ServiceTargetGroupProps) {
    super(scope, id);
    const owner = this.node.path;
    const name = props.name ?? 'ws-graphql';
    const port = props.port ?? CONTAINER.port;
    const deregistrationDelaySeconds =
      props.deregistrationDelaySeconds ?? resolveTiming({}, owner).deregistrationDelaySeconds;
    const hc = props.healthCheck ?? {};
    const healthCheck = {
      path: hc.path ?? PATHS.health,
      matcher: hc.matcher ?? '200',
      intervalSeconds: hc.intervalSeconds ?? 15,
      timeoutSeconds: hc.timeoutSeconds ?? 5,
      healthyThreshold: hc.healthyThreshold ?? 2,
      unhealthyThreshold: hc.unhealthyThreshold ?? 3,
    };

    checkElbName(owner, 'name', name, 'target group');
    const namePrefix = props.namePrefix ?? `${name.slice(0, 5).replace(/-+$/, '')}-`;
    checkPattern(
      owner,
      'namePrefix',
      namePrefix,
      /^[A-Za-z0-9][A-Za-z0-9-]{0,5}$/,
      'must be 1..6 letters, digits or hyphens, starting with a letter or digit (the provider appends 26 characters to make a 32-character name)',
    );
    checkInteger(owner, 'port', port, 1, 65535);
    checkInteger(owner, 'deregistrationDelaySeconds', deregistrationDelaySeconds, 0, 3600);
    checkPattern(
      owner,
      'healthCheck.path',
      healthCheck.path,
      /^\/[\x21-\x7e]{0,1023}$/,
      'must start with "/" and be at most 1024 printable characters',
    );
    checkPattern(
      owner,
      'healthCheck.matcher',
      healthCheck.matcher,
      /^(?:[2-4]\d\d(?:-[2-4]\d\d)?)(?:,[2-4]\d\d(?:-[2-4]\d\d)?)*$/,
      'must be HTTP codes in 200..499: "200", "200,204" or "200-299"',
    );
    checkInteger(owner, 'healthCheck.intervalSeconds', healthCheck.intervalSeconds, 5, 300);
    checkInteger(owner, 'healthCheck.timeoutSeconds', healthCheck.timeoutSeconds, 2, 120);
    if (healthCheck.intervalSeconds <= healthCheck.timeoutSeconds) {
      fail(
        owner,
        'healthCheck.intervalSeconds',
        healthCheck.intervalSeconds,
        `must be greater than healthCheck.timeoutSeconds (${healthCheck.timeoutSeconds})`,
      );
    }
    checkInteger(owner, 'healthCheck.healthyThreshold', healthCheck.healthyThreshold, 2, 10);
    checkInteger(owner, 'healthCheck.unhealthyThreshold', healthCheck.unhealthyThreshold, 2, 10);
    if (props.stickinessCookieDurationSeconds !== undefined) {
      checkInteger(owner, 'stickinessCookieDurationSeconds', props.stickinessCookieDurationSeconds, 1, 604800);
    }

    this.targetGroup = new LbTargetGroup(this, 'TargetGroup', {
      namePrefix,
      tags: { Name: name },
      vpcId: props.vpcId,
      port,
      protocol: 'HTTP',
      protocolVersion: 'HTTP1',
      targetType: 'ip',
      deregistrationDelay: String(deregistrationDelaySeconds),
      healthCheck: {
        enabled: true,
        protocol: 'HTTP',
        port: 'traffic-port',
        path: healthCheck.path,
        matcher: healthCheck.matcher,
        interval: healthCheck.intervalSeconds,
        timeout: healthCheck.timeoutSeconds,
        healthyThreshold: healthCheck.healthyThreshold,
        unhealthyThreshold: healthCheck.unhealthyThreshold,
      },
      // Written out even when off, so the plan shows the choice rather than the provider's default.
      stickiness:
        props.stickinessCookieDurationSeconds === undefined
          ? { type: 'lb_cookie', enabled: false }
          : { type: 'lb_cookie', enabled: true, cookieDuration: props.stickinessCookieDurationSeconds },
      // The listener and the ECS service move to the new group's ARN before the old group is deleted.
      lifecycle: { createBeforeDestroy: true },
    });
    this.arn = this.targetGroup.arn;
    this.arnSuffix = this.targetGroup.arnSuffix;
  }
}
