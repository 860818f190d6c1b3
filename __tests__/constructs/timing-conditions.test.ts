import { type Precondition, TerraformStack } from 'cdktf';
import { ContainerTimingLocal, type ContainerTimingValues } from '../../constructs/timing-conditions';
import { type WebSocketTiming } from '../../constructs/timing';
import { WebSocketGraphqlService } from '../../constructs/websocket-graphql-service';
import { SHUTDOWN_GRACE_SECONDS, timingViolations, type TimingName } from '../../service/src/container-contract';
import { containerDefinitions, type Json, only, synth, testApp } from './helpers';

/**
 * Evaluates a condition the way Terraform would, for the few HCL operators these conditions use
 * (arithmetic, comparisons, &&, tonumber, floor). A stand-in so every combination below runs in
 * milliseconds; the offline plan (__tests__/terraform) evaluates the same conditions with Terraform.
 */
function holds(condition: string, values: ContainerTimingValues, self: Record<string, unknown> = {}): boolean {
  const expression = /^\$\{(.*)\}$/s.exec(condition)?.[1];
  if (expression === undefined) throw new Error(`not a single interpolation: ${condition}`);
  if (!/^[\w\s.()*+>=<&|-]+$/.test(expression)) throw new Error(`operator the stand-in does not know: ${expression}`);
  const js = expression
    .replace(/\blocal\.\w+\.(\w+)/g, 'v.$1')
    .replace(/\btonumber\(/g, 'Number(')
    .replace(/\bfloor\(/g, 'Math.floor(');
  return (new Function('v', 'self', `return (${js});`) as (v: unknown, s: unknown) => boolean)(values, self);
}

const allHold = (conditions: readonly Precondition[], values: ContainerTimingValues, self?: Record<string, unknown>) =>
  conditions.every((c) => holds(c.condition as string, values, self));

/** Whether the contract accepts these values for the rules about `name` (only the values it needs given). */
function contractAccepts(values: Partial<WebSocketTiming>, name: TimingName): boolean {
  return !timingViolations(values).some((v) => v.name === name);
}

function cases(): WebSocketTiming[] {
  const out: WebSocketTiming[] = [];
  for (const keepaliveIntervalSeconds of [0.5, 5, 15, 60])
    for (const idleTimeoutSeconds of [1, 9, 10, 29, 30, 31, 120, 4000])
      for (const drainWindowSeconds of [0, 3, 30, 30.5])
        for (const drainPollIntervalSeconds of [0.5, 1])
          for (const deregistrationDelaySeconds of [0, 3, 4, 31, 32, 41])
            for (const stopTimeoutSeconds of [1, 2, 11, 12, 38, 39, 40, 120, 121])
              out.push({
                keepaliveIntervalSeconds,
                idleTimeoutSeconds,
                drainWindowSeconds,
                drainPollIntervalSeconds,
                deregistrationDelaySeconds,
                stopTimeoutSeconds,
              });
  return out;
}

describe('timing conditions (Terraform preconditions and postconditions)', () => {
  test('agree with the container contract on every combination of edge values', () => {
    const stack = new TerraformStack(testApp(), 'stack');
    const disagreements: string[] = [];
    cases().forEach((t, i) => {
      const local = new ContainerTimingLocal(stack, `T${i}`, t);
      const v = local.values;
      const verdicts: Array<[string, boolean, boolean]> = [
        [
          'load balancer',
          allHold(local.loadBalancerPostconditions(), v, { idle_timeout: t.idleTimeoutSeconds }),
          contractAccepts(
            { keepaliveIntervalSeconds: t.keepaliveIntervalSeconds, idleTimeoutSeconds: t.idleTimeoutSeconds },
            'idleTimeoutSeconds',
          ),
        ],
        [
          'target group',
          // The provider holds deregistration_delay as a string.
          allHold(local.targetGroupPostconditions(), v, { deregistration_delay: String(t.deregistrationDelaySeconds) }),
          contractAccepts(
            {
              drainWindowSeconds: t.drainWindowSeconds,
              drainPollIntervalSeconds: t.drainPollIntervalSeconds,
              deregistrationDelaySeconds: t.deregistrationDelaySeconds,
            },
            'deregistrationDelaySeconds',
          ),
        ],
        [
          'task definition',
          allHold(local.taskDefinitionPreconditions(), v),
          contractAccepts(
            { drainWindowSeconds: t.drainWindowSeconds, stopTimeoutSeconds: t.stopTimeoutSeconds },
            'stopTimeoutSeconds',
          ),
        ],
      ];
      for (const [what, terraform, contract] of verdicts) {
        if (terraform !== contract)
          disagreements.push(`${what} ${JSON.stringify(t)}: HCL ${terraform}, contract ${contract}`);
      }
    });
    expect(disagreements.slice(0, 5)).toEqual([]);
  });

  test('the local carries the contract shutdown grace and the timing in milliseconds', () => {
    const local = new ContainerTimingLocal(new TerraformStack(testApp(), 'stack'), 'T', {
      keepaliveIntervalSeconds: 0.5,
      idleTimeoutSeconds: 10,
      drainWindowSeconds: 3.25,
      drainPollIntervalSeconds: 0.1,
      deregistrationDelaySeconds: 5,
      stopTimeoutSeconds: 13,
    });
    expect(local.values).toEqual({
      keepalive_interval_ms: 500,
      drain_window_ms: 3250,
      drain_poll_interval_ms: 100,
      stop_timeout_seconds: 13,
      shutdown_grace_ms: SHUTDOWN_GRACE_SECONDS * 1000,
    });
  });

  describe('in a synthesized service', () => {
    let json: Json;
    beforeAll(() => {
      ({ json } = synth((scope) => {
        new WebSocketGraphqlService(scope, 'Api', {
          domainName: 'api.example.com',
          hostedZoneName: 'example.com',
          imageTag: 'v1',
          timing: { keepaliveIntervalSeconds: 20, drainWindowSeconds: 40, stopTimeoutSeconds: 90 },
        });
      }));
    });
    const localName = () => {
      const names = Object.keys(json.locals ?? {});
      expect(names).toHaveLength(1);
      return names[0];
    };

    test('the container reads its timing from the local, which holds the configured values', () => {
      const name = localName();
      expect(json.locals[name]).toMatchObject({ keepalive_interval_ms: 20000, drain_window_ms: 40000 });
      const text = only(json, 'aws_ecs_task_definition').container_definitions as string;
      expect(text).toContain(`"stopTimeout":\${local.${name}.stop_timeout_seconds}`);
      expect(text).toContain(`{"name":"KEEPALIVE_INTERVAL_MS","value":"\${local.${name}.keepalive_interval_ms}"}`);
      expect(text).toContain(`{"name":"DRAIN_WINDOW_MS","value":"\${local.${name}.drain_window_ms}"}`);
      expect(containerDefinitions(json)[0].stopTimeout).toBe(90);
    });

    test('the load balancer and the target group check their own attribute against the local', () => {
      const name = localName();
      const lb = only(json, 'aws_lb').lifecycle.postcondition as Array<{ condition: string }>;
      const tg = only(json, 'aws_lb_target_group').lifecycle;
      expect(lb.map((c) => c.condition)).toEqual([
        `\${self.idle_timeout * 1000 >= 2 * local.${name}.keepalive_interval_ms}`,
      ]);
      expect(tg.postcondition.map((c: { condition: string }) => c.condition)).toEqual([
        `\${tonumber(self.deregistration_delay) * 1000 >= local.${name}.drain_window_ms + local.${name}.drain_poll_interval_ms}`,
      ]);
      expect(only(json, 'aws_lb').lifecycle.precondition).toBeUndefined();
    });

    test('the task definition checks the stop timeout before it is planned', () => {
      const pre = only(json, 'aws_ecs_task_definition').lifecycle.precondition as Array<{ error_message: string }>;
      expect(pre.map((c) => c.error_message)).toEqual([
        expect.stringContaining('integer in 2..120 (Fargate)'),
        expect.stringContaining(`+ ${SHUTDOWN_GRACE_SECONDS} s of shutdown grace`),
      ]);
    });
  });
});
