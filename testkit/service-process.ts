/**
 * Runs the service's real entry point (service/src/main.ts, bundled by esbuild once per change of its
 * sources) as a child process with a given environment, the way ECS runs the container: for signal,
 * exit-code and startup tests. Collects its JSON log lines. Every child started here dies with the process
 * that started it (on Linux: tools/killed-with-parent.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { killedWithParent } from '../tools/killed-with-parent';
import { withTimeout } from './wait';

export const REPO_ROOT = join(__dirname, '..');
export const SERVICE_ENTRY = join(REPO_ROOT, 'service', 'src', 'main.ts');

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script shared with `npm run synth`
const { cachedBundle } = require('../scripts/cached-bundle.cjs') as {
  cachedBundle(options: { root: string; entry: string; name: string; settings: string[] }): string;
};

/**
 * SERVICE_ENTRY as one JavaScript file, rebuilt when a source changes. Started with plain node it costs about
 * 0.3 s of CPU, against 1.5 s through ts-node, which compiles every source on every start.
 */
export function serviceBundle(): string {
  const settings = ['tsconfig.json', 'package.json', 'service/tsconfig.json', 'service/package.json'];
  return cachedBundle({
    root: REPO_ROOT,
    entry: SERVICE_ENTRY,
    name: 'service',
    settings: settings.map((file) => join(REPO_ROOT, file)),
  });
}

/** One parsed stdout line of the service (`raw` when a line is not JSON). */
export interface LogLine {
  readonly time?: string;
  readonly level?: string;
  readonly event?: string;
  readonly raw?: string;
  readonly [field: string]: unknown;
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  /** Everything written to stderr. */
  readonly stderr: () => string;
  /** From the `server.listening` line (0 until then). */
  readonly port: number;
  readonly url: string;
  readonly graphqlUrl: string;
  readonly wsUrl: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line (past or future) matching; rejects after timeoutMs. */
  waitForLog(match: string | ((line: LogLine) => boolean), timeoutMs?: number): Promise<LogLine>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGKILL if still running; waits for the exit. */
  stop(): Promise<void>;
}

export interface SpawnServiceOptions {
  /** Added to a minimal environment (PATH, HOME) plus PORT=0, HOST=127.0.0.1, LOG_LEVEL=debug. */
  readonly env?: Record<string, string>;
  /** Wait for `server.listening` before resolving (default true). */
  readonly waitForListening?: boolean;
  readonly startTimeoutMs?: number;
  /** Run another entry file (e.g. the compiled service/dist/main.js) instead of the bundle of SERVICE_ENTRY. */
  readonly entry?: string;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function spawnService(options: SpawnServiceOptions = {}): Promise<ServiceProcess> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    ...options.env,
  };
  const [command, args] = killedWithParent(process.execPath, [options.entry ?? serviceBundle()]);
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);

  const logs: LogLine[] = [];
  const watchers = new Set<(line: LogLine) => void>();
  let stderr = '';
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (text.trim() === '') continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { raw: text };
      }
      logs.push(line);
      for (const watcher of watchers) watcher(line);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });

  const waitForLog = (match: string | ((line: LogLine) => boolean), timeoutMs = 10_000) => {
    const test = typeof match === 'string' ? (line: LogLine) => line.event === match : match;
    const found = logs.find(test);
    if (found !== undefined) return Promise.resolve(found);
    let watcher: (line: LogLine) => void = () => undefined;
    const seen = new Promise<LogLine>((resolve, reject) => {
      watcher = (line) => {
        if (test(line)) resolve(line);
      };
      watchers.add(watcher);
      void exited.then(({ code, signal }) => {
        // Give the last lines a moment to be parsed before declaring the miss.
        setTimeout(
          () =>
            reject(
              new Error(
                `service exited (code ${code}, signal ${signal}) before the expected log line; stderr:\n${stderr}`,
              ),
            ),
          50,
        );
      });
    });
    const what = `log line ${typeof match === 'string' ? match : 'matching predicate'}`;
    return withTimeout(what, seen, timeoutMs).finally(() => watchers.delete(watcher));
  };

  let port = 0;
  const proc: ServiceProcess = {
    child,
    logs,
    stderr: () => stderr,
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get graphqlUrl() {
      return `http://127.0.0.1:${port}/graphql`;
    },
    get wsUrl() {
      return `ws://127.0.0.1:${port}/graphql`;
    },
    exited,
    waitForLog,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };

  if (options.waitForListening ?? true) {
    try {
      const listening = await waitForLog('server.listening', options.startTimeoutMs ?? 20_000);
      port = Number(listening.port);
    } catch (err) {
      await proc.stop();
      throw err;
    }
  }
  return proc;
}
