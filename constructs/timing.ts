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
import { ENV, SHUTDOWN_GRACE } from '../service/src/env-names';
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
   * room for a SIGTERM-triggered drain: >= drainWindowSeconds + SHUTDOWN_GRACE_SECONDS (9 s).
   * @default 60
   */
  readonly stopTimeoutSeconds?: number;
}

/** Resolved timing: every field set, all rules checked. */
export type WebSocketTiming = Required<WebSocketTimingProps>;

export const DEFAULT_TIMING = {
  keepaliveIntervalSeconds: 15,
  idleTimeoutSeconds: 120,
  drainWindowSeconds: 30,
  drainPollIntervalSeconds: 1,
  stopTimeoutSeconds: 60,
} as const;

/**
 * What the service needs after the drain window before it exits (close handshakes, in-flight HTTP; see
 * SHUTDOWN_GRACE in the service's contract) plus 1 s for process exit, in seconds.
 */
export const SHUTDOWN_GRACE_SECONDS = (SHUTDOWN_GRACE.closeHandshakeMs + SHUTDOWN_GRACE.inFlightHttpMs) / 1000 + 1;

/** Margin added on top of the drain window (plus one poll) when deriving the deregistration delay. */
export const DEREGISTRATION_MARGIN_SECONDS = 10;

/**
 * Applies defaults and checks the timing rules. `owner` names the construct (its path) in error messages.
 * Values that are not plain numbers (unresolved tokens) are not range-checked.
 */
export function resolveTiming(props: WebSocketTimingProps = {}, owner = 'WebSocketTiming'): WebSocketTiming {
  const keepaliveIntervalSeconds = props.keepaliveIntervalSeconds ?? DEFAULT_TIMING.keepaliveIntervalSeconds;
  const idleTimeoutSeconds = props.idleTimeoutSeconds ?? DEFAULT_TIMING.idleTimeoutSeconds;
  const drainWindowSeconds = props.drainWindowSeconds ?? DEFAULT_TIMING.drainWindowSeconds;
  const drainPollIntervalSeconds = props.drainPollIntervalSeconds ?? DEFAULT_TIMING.drainPollIntervalSeconds;
  const stopTimeoutSeconds = props.stopTimeoutSeconds ?? DEFAULT_TIMING.stopTimeoutSeconds;
  const deregistrationDelaySeconds =
    props.deregistrationDelaySeconds ??
    Math.ceil(drainWindowSeconds + drainPollIntervalSeconds + DEREGISTRATION_MARGIN_SECONDS);

  const fail = (prop: string, value: number, rule: string): never => {
    throw new ConfigError(`${owner}: '${prop}' ${rule} (got ${value})`);
  };
  const range = (prop: string, value: number, min: number, max: number, integer = true) => {
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      fail(prop, value, `must be ${integer ? 'an integer ' : ''}in ${min}..${max}`);
    }
  };

  range('keepaliveIntervalSeconds', keepaliveIntervalSeconds, 0.1, 3600, false);
  range('idleTimeoutSeconds', idleTimeoutSeconds, 1, 4000);
  range('drainWindowSeconds', drainWindowSeconds, 0, 3600, false);
  range('drainPollIntervalSeconds', drainPollIntervalSeconds, 0.1, 60, false);
  range('deregistrationDelaySeconds', deregistrationDelaySeconds, 0, 3600);
  range('stopTimeoutSeconds', stopTimeoutSeconds, 2, 120);

  if (idleTimeoutSeconds < 2 * keepaliveIntervalSeconds) {
    fail(
      'idleTimeoutSeconds',
      idleTimeoutSeconds,
      `must be at least 2x keepaliveIntervalSeconds (${keepaliveIntervalSeconds}), i.e. >= ${2 * keepaliveIntervalSeconds}; ` +
        'raise idleTimeoutSeconds or lower keepaliveIntervalSeconds, or quiet sockets are cut with 1006',
    );
  }
  const minDeregistration = drainWindowSeconds + drainPollIntervalSeconds;
  if (deregistrationDelaySeconds < minDeregistration) {
    fail(
      'deregistrationDelaySeconds',
      deregistrationDelaySeconds,
      `must be >= drainWindowSeconds + drainPollIntervalSeconds (${minDeregistration}) so the task finishes ` +
        'draining before the ALB cuts what is left',
    );
  }
  // A SIGTERM-triggered drain takes the window, then the close handshakes and in-flight HTTP grace.
  const minStopTimeout = Math.ceil(drainWindowSeconds + SHUTDOWN_GRACE_SECONDS);
  if (stopTimeoutSeconds < minStopTimeout) {
    fail(
      'stopTimeoutSeconds',
      stopTimeoutSeconds,
      `must be >= drainWindowSeconds (${drainWindowSeconds}) + ${SHUTDOWN_GRACE_SECONDS} s of shutdown grace, i.e. >= ${minStopTimeout}, ` +
        'so a SIGTERM-triggered drain ends before SIGKILL; lower drainWindowSeconds or raise stopTimeoutSeconds',
    );
  }

  return {
    keepaliveIntervalSeconds,
    idleTimeoutSeconds,
    drainWindowSeconds,
    drainPollIntervalSeconds,
    deregistrationDelaySeconds,
    stopTimeoutSeconds,
  };
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
