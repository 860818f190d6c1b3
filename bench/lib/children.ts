/**
 * Child processes of a benchmark run: every one is tracked, bounded in time and killed when the run
 * ends, fails or is interrupted, so no server, load generator or redis-server outlives `npm run bench`.
 */
import { type ChildProcess, fork, spawn, type SpawnOptions } from 'node:child_process';
import * as net from 'node:net';

const live = new Set<ChildProcess>();

/** SIGTERM lets the servers exit cleanly; each child's own time bound (below) uses SIGKILL. */
function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
  live.clear();
}

let hooked = false;
/** Installs the exit hooks once: normal exit, Ctrl-C, SIGTERM and crashes all kill the children. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

function track(child: ChildProcess, label: string, maxMs: number): ChildProcess {
  hookExit();
  live.add(child);
  // Hard bound: whatever happens, the child does not run longer than this.
  const timer = setTimeout(() => {
    process.stderr.write(`bench: ${label} exceeded ${maxMs} ms, killing it\n`);
    child.kill('SIGKILL');
  }, maxMs);
  timer.unref();
  child.once('exit', () => {
    clearTimeout(timer);
    live.delete(child);
  });
  return child;
}

/** Forks a Node child with an IPC channel (server and load generator entries). */
export function forkTracked(
  label: string,
  modulePath: string,
  args: readonly string[],
  options: { readonly execArgv?: readonly string[]; readonly env?: NodeJS.ProcessEnv; readonly maxMs: number },
): ChildProcess {
  const child = fork(modulePath, [...args], {
    execArgv: [...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return track(child, label, options.maxMs);
}

/** Spawns a non-Node child (redis-server, tsc, the cdktf CLI). */
export function spawnTracked(
  label: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions & { readonly maxMs: number },
): ChildProcess {
  const { maxMs, ...spawnOptions } = options;
  return track(spawn(command, [...args], spawnOptions), label, maxMs);
}

/** Resolves with the exit code (or a signal name) once the child has exited. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/**
 * Waits for the first IPC message from `child` that `accept` returns a value for; rejects when the child
 * exits first or after `timeoutMs`.
 */
export function nextMessage<T>(
  child: ChildProcess,
  label: string,
  timeoutMs: number,
  accept: (message: unknown) => T | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: unknown) => {
      const value = accept(message);
      if (value === undefined) return;
      cleanup();
      resolve(value);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`${label} exited (${code ?? signal}) before answering`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${label} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** A free TCP port on 127.0.0.1 (for redis-server, which cannot listen on port 0 and report it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('freePort: no address'));
      });
    });
  });
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
