/**
 * The container settings of the default app's first stack (main.ts + config/environments.ts), read from
 * its synthesized Terraform JSON, and the `run` arguments that apply them to a local container the way ECS
 * applies them to the task: environment, secrets (as plain values here), user, read-only root filesystem,
 * the task volume at /tmp, the init process, the stop timeout.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENTS } from '../../config/environments';
import { synthesize } from '../../main';
import { resolveLocals } from '../../tools/locals';

export interface TaskContainer {
  /** The stack (environment) the settings come from. */
  readonly stack: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Names of the variables ECS fills from Secrets Manager / SSM. */
  readonly secretNames: readonly string[];
  readonly user: string;
  readonly readonlyRootFilesystem: boolean;
  /** Container paths of the task's (Fargate task storage) volumes. */
  readonly volumePaths: readonly string[];
  readonly containerPort: number;
  readonly stopTimeoutSeconds: number;
  readonly initProcessEnabled: boolean;
  /** The container health check: command (`["CMD", ...argv]`), times in seconds. */
  readonly healthCheck: {
    readonly command: readonly string[];
    readonly interval: number;
    readonly timeout: number;
    readonly retries: number;
    readonly startPeriod: number;
  };
  /** The target group's health check path and port (`traffic-port` or a number). */
  readonly targetGroupHealthCheck: { readonly path: string; readonly port: string; readonly trafficPort: number };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Synthesizes the default app and reads the first stack's container definition and target group. */
export function defaultStackContainer(): TaskContainer {
  const stack = Object.keys(ENVIRONMENTS)[0];
  if (stack === undefined) throw new Error('config/environments.ts defines no environment');
  const outdir = mkdtempSync(join(tmpdir(), 'container-synth-'));
  try {
    synthesize(ENVIRONMENTS, outdir);
    const json: Json = JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    const taskDefinition = single(json, 'aws_ecs_task_definition');
    const targetGroup = single(json, 'aws_lb_target_group');
    const [container, ...others]: Json[] = JSON.parse(resolveLocals(taskDefinition.container_definitions, json.locals));
    if (container === undefined || others.length > 0) throw new Error(`${stack}: expected one container definition`);
    const taskVolumes = new Set((taskDefinition.volume as Json[]).map((v) => v.name as string));
    const mappings = container.portMappings as Json[];
    if (mappings.length !== 1) throw new Error(`${stack}: expected one port mapping`);
    return {
      stack,
      environment: Object.fromEntries((container.environment as Json[]).map((e) => [e.name, e.value])),
      secretNames: (container.secrets as Json[]).map((s) => s.name as string),
      user: container.user,
      readonlyRootFilesystem: container.readonlyRootFilesystem === true,
      volumePaths: (container.mountPoints as Json[])
        .filter((m) => taskVolumes.has(m.sourceVolume) && m.readOnly !== true)
        .map((m) => m.containerPath as string),
      containerPort: mappings[0].containerPort,
      stopTimeoutSeconds: container.stopTimeout,
      initProcessEnabled: container.linuxParameters?.initProcessEnabled === true,
      healthCheck: container.healthCheck,
      targetGroupHealthCheck: {
        path: targetGroup.health_check.path,
        port: targetGroup.health_check.port,
        trafficPort: targetGroup.port,
      },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function single(json: Json, type: string): Json {
  const found = Object.values((json.resource ?? {})[type] ?? {});
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

export interface RunOptions {
  readonly image: string;
  readonly name: string;
  /** A value for every secret (given as plain environment here). */
  readonly secrets: Readonly<Record<string, string>>;
  /**
   * Replacements for task values that hold Terraform references (`${...}`) or only make sense on AWS; every
   * unresolved value must be replaced, or this throws naming it.
   */
  readonly overrides: Readonly<Record<string, string>>;
  /** podman's --read-only also mounts tmpfs on /var/tmp and /run unless told not to; docker's does not. */
  readonly engine: 'docker' | 'podman';
}

/**
 * `run` arguments applying the task's settings. Not applied: the nofile ulimit (a container cannot raise it
 * above the machine's hard limit) and the awslogs driver (logs stay with the engine).
 */
export function runArgs(task: TaskContainer, options: RunOptions): string[] {
  const environment: Record<string, string> = { ...task.environment, ...options.overrides };
  for (const name of task.secretNames) {
    const value = options.secrets[name];
    if (value === undefined) throw new Error(`no value given for the task's secret ${name}`);
    environment[name] = value;
  }
  const unresolved = Object.entries(environment).filter(([, v]) => v.includes('${'));
  if (unresolved.length > 0) {
    throw new Error(
      `task environment values that need an override: ${unresolved.map(([k, v]) => `${k}=${v}`).join(', ')}`,
    );
  }
  return [
    'run',
    '--detach',
    '--name',
    options.name,
    // Loopback only: the tests reach the container, and it reaches Redis, on 127.0.0.1.
    '--network',
    'host',
    '--user',
    task.user,
    ...(task.readonlyRootFilesystem ? ['--read-only'] : []),
    ...(task.readonlyRootFilesystem && options.engine === 'podman' ? ['--read-only-tmpfs=false'] : []),
    ...task.volumePaths.flatMap((path) => ['--tmpfs', path]),
    ...(task.initProcessEnabled ? ['--init'] : []),
    '--stop-timeout',
    String(task.stopTimeoutSeconds),
    ...Object.entries(environment).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
    options.image,
  ];
}
