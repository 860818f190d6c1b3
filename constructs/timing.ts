/**
 * WebSocket timing: one source of truth.
 *
 * The ALB idle timeout, the service's keepalive, the drain window, the target group's deregistration
 * delay and the container's stop timeout only work together. They are set here, checked against each
 * other here, and handed to the load balancer, the target group, the task definition and (through the
 * task's environment) the service. The e2e harness scales the same object down for its nginx.
 *
 * Pure TypeScript with no cdktf imports: the service tests and e2e harness can load it cheaply.
 */
import {
  defaultDeregistrationDelaySeconds,
  ENV,
  TIMING_DEFAULTS,
  timingViolations,
} from '../service/src/container-contract';
import { ConfigError } from './config-error';

export interface WebSocketTimingProps {
  /**
   * Interval between server pings (WebSocket) and keepalive comments (SSE), in seconds.
   * @default 15
   */
  readonly keepaliveIntervalSeconds?: number;
  /**
   * ALB idle timeout in seconds (AWS default 60). Must be 1..4000 and at least twice the keepalive so one
   * lost ping does not cut a quiet socket.
   * @default 120
   */
  readonly idleTimeoutSeconds?: number;
  /**
   * Window, in seconds, over which a draining task closes its open sockets with 1012 in jittered batches.
   * @default 30
   */
  readonly drainWindowSeconds?: number;
  /**
   * How often the service polls the ECS task metadata endpoint for desiredStatus, in seconds.
   * @default 1
   */
  readonly drainPollIntervalSeconds?: number;
  /**
   * Target group deregistration delay in seconds (0..3600). ECS waits this long after deregistering a task
   * before it sends SIGTERM; sockets still open then are cut by the ALB (clients see 1006).
   * @default - drainWindowSeconds + drainPollIntervalSeconds + 10 s margin
   */
  readonly deregistrationDelaySeconds?: number;
  /**
   * Container stop timeout in seconds: time between SIGTERM and SIGKILL (Fargate allows 2..120). Must leave
   * room for a SIGTERM-triggered drain: >= drainWindowSeconds + SHUTDOWN_GRACE_SECONDS (9 s, see the
   * container contract).
   * @default 60
   */
  readonly stopTimeoutSeconds?: number;
}

/** Resolved timing: every field set, all rules checked. */
export type WebSocketTiming = Required<WebSocketTimingProps>;

/**
 * Applies defaults and checks the timing rules (both from the container contract, which the service's
 * config parser applies too). `owner` names the construct (its path) in error messages.
 */
export function resolveTiming(props: WebSocketTimingProps = {}, owner = 'WebSocketTiming'): WebSocketTiming {
  const keepaliveIntervalSeconds = props.keepaliveIntervalSeconds ?? TIMING_DEFAULTS.keepaliveIntervalSeconds;
  const idleTimeoutSeconds = props.idleTimeoutSeconds ?? TIMING_DEFAULTS.idleTimeoutSeconds;
  const drainWindowSeconds = props.drainWindowSeconds ?? TIMING_DEFAULTS.drainWindowSeconds;
  const drainPollIntervalSeconds = props.drainPollIntervalSeconds ?? TIMING_DEFAULTS.drainPollIntervalSeconds;
  const stopTimeoutSeconds = props.stopTimeoutSeconds ?? TIMING_DEFAULTS.stopTimeoutSeconds;
  const deregistrationDelaySeconds =
    props.deregistrationDelaySeconds ?? defaultDeregistrationDelaySeconds(drainWindowSeconds, drainPollIntervalSeconds);
  const timing = {
    keepaliveIntervalSeconds,
    idleTimeoutSeconds,
    drainWindowSeconds,
    drainPollIntervalSeconds,
    deregistrationDelaySeconds,
    stopTimeoutSeconds,
  };

  const [first] = timingViolations(timing);
  if (first !== undefined) {
    throw new ConfigError(`${owner}: '${first.name}' ${first.rule} (got ${first.value})`);
  }
  return timing;
}

/** The container environment that carries the timing to the service (milliseconds, as the service reads). */
export function timingEnvironment(timing: WebSocketTiming): Record<string, string> {
  return {
    [ENV.keepaliveIntervalMs]: String(Math.round(timing.keepaliveIntervalSeconds * 1000)),
    [ENV.drainWindowMs]: String(Math.round(timing.drainWindowSeconds * 1000)),
    [ENV.drainPollIntervalMs]: String(Math.round(timing.drainPollIntervalSeconds * 1000)),
    [ENV.lbIdleTimeoutMs]: String(timing.idleTimeoutSeconds * 1000),
  };
}
