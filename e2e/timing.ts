/**
 * The shared timing object (constructs/timing.ts), scaled down so the e2e scenarios run in seconds.
 * nginx's timeouts and the service instances' environment are both derived from it, as the ALB and the
 * ECS task definition are in production: change a number here and both sides follow.
 */
import {
  resolveTiming,
  timingEnvironment,
  type WebSocketTiming,
  type WebSocketTimingProps,
} from '../constructs/timing';

export const E2E_TIMING_PROPS: WebSocketTimingProps = {
  keepaliveIntervalSeconds: 2,
  // >= 2x keepalive (resolveTiming's rule).
  idleTimeoutSeconds: 5,
  drainWindowSeconds: 2,
  drainPollIntervalSeconds: 0.5,
  // >= drain window + the service's shutdown grace (resolveTiming's rule).
  stopTimeoutSeconds: 12,
};

export function e2eTiming(overrides: WebSocketTimingProps = {}): WebSocketTiming {
  return resolveTiming({ ...E2E_TIMING_PROPS, ...overrides }, 'E2eTiming');
}

export { timingEnvironment };
