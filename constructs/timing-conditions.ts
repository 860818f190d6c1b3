/**
 * The WebSocket timing rules, carried into the synthesized Terraform so that a plan of JSON or HCL edited
 * after synth still enforces them.
 *
 * The container's timing (keepalive, drain window, drain poll, stop timeout) lives inside
 * `container_definitions`, which is unknown in a first plan (it embeds the ECR URL). So it is emitted as a
 * Terraform local that the container definition references, and the rules read the local:
 * - the task definition: a precondition on the local (stop timeout in Fargate's range and long enough for a
 *   drain plus the shutdown grace);
 * - the load balancer and the target group: postconditions on `self.idle_timeout` and
 *   `self.deregistration_delay` against the local, so an edit of either attribute is caught as well.
 *
 * Resource conditions rather than `check` blocks: a failed `check` is only a warning and the plan goes on,
 * while a broken rule cuts sockets (1006) in production. Conditions are errors that stop the plan.
 * The rules and numbers are the container contract's (`timingViolations`, `SHUTDOWN_GRACE_SECONDS`,
 * `TIMING_RANGES`), restated in milliseconds so Terraform compares integers.
 */
import { type Construct } from 'constructs';
import { type Postcondition, type Precondition, ref, TerraformLocal, TerraformStack, Token } from 'cdktf';
import { SHUTDOWN_GRACE_SECONDS, TIMING_RANGES } from '../service/src/container-contract';
import { type WebSocketTiming } from './timing';

/** Attributes of the container timing local. */
export interface ContainerTimingValues {
  readonly keepalive_interval_ms: number;
  readonly drain_window_ms: number;
  readonly drain_poll_interval_ms: number;
  readonly stop_timeout_seconds: number;
  readonly shutdown_grace_ms: number;
}

/** The container's timing as a Terraform local, and the conditions that check it. */
export class ContainerTimingLocal {
  readonly local: TerraformLocal;
  readonly values: ContainerTimingValues;

  constructor(scope: Construct, id: string, timing: WebSocketTiming) {
    this.values = {
      keepalive_interval_ms: Math.round(timing.keepaliveIntervalSeconds * 1000),
      drain_window_ms: Math.round(timing.drainWindowSeconds * 1000),
      drain_poll_interval_ms: Math.round(timing.drainPollIntervalSeconds * 1000),
      stop_timeout_seconds: timing.stopTimeoutSeconds,
      shutdown_grace_ms: Math.round(SHUTDOWN_GRACE_SECONDS * 1000),
    };
    this.local = new TerraformLocal(scope, id, this.values);
  }

  /** `local.<name>.<attribute>`, for HCL expressions. */
  expression(attribute: keyof ContainerTimingValues): string {
    return `local.${this.local.friendlyUniqueId}.${attribute}`;
  }

  /** A string token that Terraform resolves to the attribute's value. */
  reference(attribute: keyof ContainerTimingValues): string {
    return Token.asString(ref(this.expression(attribute), TerraformStack.of(this.local)));
  }

  /** For the task definition: the stop timeout is in Fargate's range and fits a drain plus its grace. */
  taskDefinitionPreconditions(): Precondition[] {
    const stop = this.expression('stop_timeout_seconds');
    const drain = this.expression('drain_window_ms');
    const grace = this.expression('shutdown_grace_ms');
    const { min, max } = TIMING_RANGES.stopTimeoutSeconds;
    return [
      {
        condition: `\${${stop} >= ${min} && ${stop} <= ${max} && floor(${stop}) == ${stop}}`,
        errorMessage: `WebSocket timing: the container stop timeout must be an integer in ${min}..${max} (Fargate), got \${${stop}}.`,
      },
      {
        condition: `\${${stop} * 1000 >= ${drain} + ${grace}}`,
        errorMessage:
          `WebSocket timing: the container stop timeout (\${${stop}} s) must be >= the drain window (\${${drain}} ms) ` +
          `+ ${SHUTDOWN_GRACE_SECONDS} s of shutdown grace, so a SIGTERM-triggered drain ends before SIGKILL.`,
      },
    ];
  }

  /** For the load balancer: the idle timeout is at least twice the keepalive. */
  loadBalancerPostconditions(): Postcondition[] {
    const keepalive = this.expression('keepalive_interval_ms');
    return [
      {
        condition: `\${self.idle_timeout * 1000 >= 2 * ${keepalive}}`,
        errorMessage:
          `WebSocket timing: the load balancer idle_timeout (\${self.idle_timeout} s) must be at least 2x the ` +
          `keepalive interval (\${${keepalive}} ms), or quiet sockets are cut with 1006.`,
      },
    ];
  }

  /** For the target group: the deregistration delay covers the drain window and one poll. */
  targetGroupPostconditions(): Postcondition[] {
    const drain = this.expression('drain_window_ms');
    const poll = this.expression('drain_poll_interval_ms');
    return [
      {
        condition: `\${tonumber(self.deregistration_delay) * 1000 >= ${drain} + ${poll}}`,
        errorMessage:
          `WebSocket timing: the target group deregistration_delay (\${self.deregistration_delay} s) must be >= ` +
          `the drain window (\${${drain}} ms) + the drain poll interval (\${${poll}} ms), so the task finishes ` +
          'draining before the load balancer cuts what is left.',
      },
    ];
  }
}
