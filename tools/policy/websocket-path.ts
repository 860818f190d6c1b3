/**
 * Follows the WebSocket path through a configuration: ECS service → target group → listener → ALB, and
 * service → task definition → container, to collect the timing values the rules compare.
 */
import { ENV, type TimingSeconds, TIMING_DEFAULTS } from '../../service/src/container-contract';
import { blocks, byAddress, num, ofType, type TfModel, type TfResource } from './model';

/** One container of a task definition, as ECS reads `container_definitions`. */
export interface ContainerDefinition {
  readonly name?: string;
  readonly environment?: readonly { name?: string; value?: string }[];
  readonly secrets?: readonly { name?: string; valueFrom?: string }[];
  readonly stopTimeout?: number;
  readonly readonlyRootFilesystem?: boolean;
  readonly privileged?: boolean;
}

/** The containers of a task definition; undefined when unknown (plan) or not valid JSON. */
export function containers(taskDefinition: TfResource): ContainerDefinition[] | undefined {
  const raw = taskDefinition.values.container_definitions;
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as ContainerDefinition[]) : undefined;
  } catch {
    return undefined;
  }
}

export function environmentOf(container: ContainerDefinition): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of container.environment ?? []) if (e.name !== undefined) env.set(e.name, String(e.value ?? ''));
  return env;
}

/** The one resource of `type` that `from.attr` refers to, or the only one of its type in the model. */
function follow(model: TfModel, from: TfResource, attr: string, type: string): TfResource | undefined {
  for (const address of from.refs(attr)) {
    const target = byAddress(model, address);
    if (target?.type === type) return target;
  }
  const all = ofType(model, type);
  return all.length === 1 ? all[0] : undefined;
}

/** A service's path and the timing values found along it (a value is absent when it cannot be known). */
export interface WebSocketPath {
  readonly service: TfResource;
  readonly targetGroup?: TfResource;
  readonly loadBalancer?: TfResource;
  readonly taskDefinition?: TfResource;
  readonly container?: ContainerDefinition;
  readonly timing: Partial<TimingSeconds>;
  /** LB_IDLE_TIMEOUT_MS as the service is told, in seconds. */
  readonly serviceIdleTimeoutSeconds?: number;
}

/** AWS defaults for settings the configuration leaves out. */
const ALB_IDLE_TIMEOUT_DEFAULT = 60;
const DEREGISTRATION_DELAY_DEFAULT = 300;
const FARGATE_STOP_TIMEOUT_DEFAULT = 30;

function ms(env: Map<string, string>, name: string, fallbackSeconds: number): number {
  const value = env.get(name);
  return value === undefined ? fallbackSeconds : Number(value) / 1000;
}

export function websocketPaths(model: TfModel): WebSocketPath[] {
  const paths: WebSocketPath[] = [];
  for (const service of ofType(model, 'aws_ecs_service')) {
    const [lbBlock] = blocks(service.values.load_balancer);
    if (lbBlock === undefined && !service.unknown.has('load_balancer')) continue;
    const targetGroup = follow(model, service, 'load_balancer', 'aws_lb_target_group');
    const listener = ofType(model, 'aws_lb_listener').find(
      (l) => targetGroup !== undefined && l.refs('default_action').includes(targetGroup.address),
    );
    const loadBalancer =
      listener !== undefined
        ? follow(model, listener, 'load_balancer_arn', 'aws_lb')
        : ofType(model, 'aws_lb').length === 1
          ? ofType(model, 'aws_lb')[0]
          : undefined;
    const taskDefinition = follow(model, service, 'task_definition', 'aws_ecs_task_definition');
    const list = taskDefinition === undefined ? undefined : containers(taskDefinition);
    const containerName = lbBlock?.container_name;
    const container = list?.find((c) => c.name === containerName) ?? (list?.length === 1 ? list[0] : undefined);

    const timing: { -readonly [K in keyof TimingSeconds]?: number } = {};
    if (loadBalancer !== undefined && !loadBalancer.unknown.has('idle_timeout')) {
      timing.idleTimeoutSeconds = num(loadBalancer.values.idle_timeout) ?? ALB_IDLE_TIMEOUT_DEFAULT;
    }
    if (targetGroup !== undefined && !targetGroup.unknown.has('deregistration_delay')) {
      timing.deregistrationDelaySeconds = num(targetGroup.values.deregistration_delay) ?? DEREGISTRATION_DELAY_DEFAULT;
    }
    let serviceIdleTimeoutSeconds: number | undefined;
    if (container !== undefined) {
      // The service applies the contract's defaults to what the task definition leaves out.
      const env = environmentOf(container);
      timing.keepaliveIntervalSeconds = ms(env, ENV.keepaliveIntervalMs, TIMING_DEFAULTS.keepaliveIntervalSeconds);
      timing.drainWindowSeconds = ms(env, ENV.drainWindowMs, TIMING_DEFAULTS.drainWindowSeconds);
      timing.drainPollIntervalSeconds = ms(env, ENV.drainPollIntervalMs, TIMING_DEFAULTS.drainPollIntervalSeconds);
      timing.stopTimeoutSeconds = container.stopTimeout ?? FARGATE_STOP_TIMEOUT_DEFAULT;
      const told = env.get(ENV.lbIdleTimeoutMs);
      if (told !== undefined) serviceIdleTimeoutSeconds = Number(told) / 1000;
    }
    paths.push({
      service,
      ...(targetGroup === undefined ? {} : { targetGroup }),
      ...(loadBalancer === undefined ? {} : { loadBalancer }),
      ...(taskDefinition === undefined ? {} : { taskDefinition }),
      ...(container === undefined ? {} : { container }),
      timing,
      ...(serviceIdleTimeoutSeconds === undefined ? {} : { serviceIdleTimeoutSeconds }),
    });
  }
  return paths;
}
