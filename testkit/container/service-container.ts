/**
 * One running container of the service image, started with the task definition's settings (runArgs), with
 * what the tests ask of it: wait until ready (timed from `run`), exec, run the image's health check, stop
 * with a timeout (timed, with the exit code), logs. Every container started here is removed when the test
 * process exits.
 */
import { spawnSync } from 'node:child_process';
import type { Engine } from './engine';
import { runArgs, type RunOptions, type TaskContainer } from './task-definition';
import { sleep } from '../wait';

export interface ServiceContainer {
  readonly name: string;
  readonly url: string;
  readonly graphqlUrl: string;
  readonly wsUrl: string;
  /** From `run` to the first 200 of /ready, in milliseconds. */
  readonly startToReadyMs: number;
  exec(argv: readonly string[]): Promise<string>;
  /** Runs the image's HEALTHCHECK once (podman) or waits for the engine to report healthy (docker). */
  healthy(): Promise<boolean>;
  /** `stop -t <seconds>`: SIGTERM, SIGKILL after the timeout. Resolves with the time taken and exit code. */
  stop(timeoutSeconds: number): Promise<{ ms: number; exitCode: number }>;
  logs(): Promise<string>;
  remove(): Promise<void>;
}

const started = new Map<string, Engine>();
process.once('exit', () => {
  for (const [name, engine] of started) {
    spawnSync(engine.name, [...engine.globalArgs, 'rm', '--force', name], { env: engine.env, stdio: 'ignore' });
  }
});

export interface StartOptions extends Omit<RunOptions, 'name' | 'engine'> {
  /** The loopback port the service listens on (host networking shares the machine's ports). */
  readonly port: number;
  readonly readyTimeoutMs?: number;
}

export async function startServiceContainer(
  engine: Engine,
  task: TaskContainer,
  options: StartOptions,
): Promise<ServiceContainer> {
  const name = `ws-graphql-test-${process.pid}-${started.size}-${Date.now().toString(36)}`;
  const args = runArgs(task, { ...options, name, engine: engine.name });
  const url = `http://127.0.0.1:${options.port}`;
  const t0 = Date.now();
  started.set(name, engine);
  await engine.run(args);
  const logs = async () => {
    const out = await engine.run(['logs', name]).catch((err: Error) => err.message);
    return out;
  };

  const deadline = t0 + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    const ok = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      throw new Error(`container ${name} not ready after ${Date.now() - t0} ms; logs:\n${await logs()}`);
    }
    await sleep(50);
  }
  const startToReadyMs = Date.now() - t0;

  return {
    name,
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl: `ws://127.0.0.1:${options.port}/graphql`,
    startToReadyMs,
    exec: (argv) => engine.run(['exec', name, ...argv]),
    healthy: async () => {
      if (engine.name === 'podman') {
        return engine.run(['healthcheck', 'run', name]).then(
          () => true,
          () => false,
        );
      }
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        const status = (await engine.run(['inspect', '--format', '{{.State.Health.Status}}', name])).trim();
        if (status !== 'starting') return status === 'healthy';
        await sleep(500);
      }
      return false;
    },
    stop: async (timeoutSeconds) => {
      const t = Date.now();
      await engine.run(['stop', '--time', String(timeoutSeconds), name], { timeoutMs: (timeoutSeconds + 30) * 1000 });
      const ms = Date.now() - t;
      const exitCode = Number((await engine.run(['inspect', '--format', '{{.State.ExitCode}}', name])).trim());
      return { ms, exitCode };
    },
    logs,
    remove: async () => {
      await engine.run(['rm', '--force', name]).catch(() => undefined);
      started.delete(name);
    },
  };
}
