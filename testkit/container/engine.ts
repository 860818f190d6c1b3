/**
 * The container engine the container tests drive: `docker` where a Docker daemon answers (`docker info`),
 * else `podman` (daemonless) with the repository's containers.conf and the runc runtime. Both take the same
 * `build`, `run`, `stop`, `inspect` commands, so the tests run the commands the docs give users.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface Engine {
  /** `docker` or `podman`. */
  readonly name: 'docker' | 'podman';
  /** Engine-wide arguments placed before the subcommand (podman: `--runtime runc`). */
  readonly globalArgs: readonly string[];
  /** Environment the engine runs with (podman: CONTAINERS_CONF). */
  readonly env: NodeJS.ProcessEnv;
  /** Runs `<engine> <globalArgs> <args>`; resolves with stdout, rejects with stderr in the message. */
  run(args: readonly string[], options?: RunOptions): Promise<string>;
  /** The full command line, for logs and error messages. */
  describe(args: readonly string[]): string;
}

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /** Also resolve (with stdout) on these non-zero exit codes. */
  readonly allowExitCodes?: readonly number[];
}

export const CONTAINERS_CONF = join(__dirname, 'containers.conf');

function succeeds(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 20_000, env });
  return result.status === 0;
}

/** Why no engine can run here, or undefined when one can. */
export function engineUnavailableReason(): string | undefined {
  if (succeeds('docker', ['info'])) return undefined;
  const env = { ...process.env, CONTAINERS_CONF };
  if (!succeeds('podman', ['--version'], env)) return 'neither a Docker daemon (`docker info`) nor podman is available';
  if (!succeeds('runc', ['--version'])) return 'podman is installed but runc is not';
  return undefined;
}

/** Picks docker (daemon answering) or podman; throws naming what is missing. */
export function detectEngine(): Engine {
  const reason = engineUnavailableReason();
  if (reason !== undefined) throw new Error(`No container engine: ${reason} (run scripts/setup-system.sh)`);
  if (succeeds('docker', ['info'])) return makeEngine('docker', [], process.env);
  return makeEngine('podman', ['--runtime', 'runc'], { ...process.env, CONTAINERS_CONF });
}

function makeEngine(name: 'docker' | 'podman', globalArgs: readonly string[], env: NodeJS.ProcessEnv): Engine {
  const describe = (args: readonly string[]) => [name, ...globalArgs, ...args].join(' ');
  return {
    name,
    globalArgs,
    env,
    describe,
    run: (args, options = {}) =>
      new Promise((resolve, reject) => {
        execFile(
          name,
          [...globalArgs, ...args],
          { env, cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
          (error, stdout, stderr) => {
            const code = typeof error?.code === 'number' ? error.code : error ? -1 : 0;
            if (error && !(options.allowExitCodes ?? []).includes(code)) {
              reject(new Error(`\`${describe(args)}\` failed (${error.message.split('\n')[0]}):\n${stderr}`));
            } else {
              resolve(stdout);
            }
          },
        );
      }),
  };
}
