/**
 * Builds and starts the service app in-process on 127.0.0.1 port 0, the same way main.ts does, with its
 * JSON log lines collected in memory instead of printed. Env values go through the real config parser.
 */
import { buildApp, type App, type BuildAppOptions } from '../service/src/app';
import { loadConfig, type AppConfig, type Limits } from '../service/src/config';
import { createLogger } from '../service/src/logger';
import type { LogLine } from './service-process';

export interface TestApp {
  readonly app: App;
  readonly config: AppConfig;
  readonly logs: LogLine[];
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly graphqlUrl: string;
  readonly wsUrl: string;
  readonly port: number;
  /** Immediate stop (idempotent). */
  stop(): Promise<void>;
}

export interface StartTestAppOptions extends Omit<BuildAppOptions, 'logger'> {
  /** Environment variables (names from service/src/container-contract.ts), parsed by loadConfig. */
  readonly env?: Record<string, string>;
  /** Limits that have no environment variable (slow-consumer bounds, graphql-armor numbers). */
  readonly limits?: Partial<Limits>;
  /** Also print the log lines (debugging a test). */
  readonly printLogs?: boolean;
}

export async function startTestApp(options: StartTestAppOptions = {}): Promise<TestApp> {
  const parsed = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'debug', ...options.env });
  const config: AppConfig = { ...parsed, limits: { ...parsed.limits, ...options.limits } };
  const logs: LogLine[] = [];
  const logger = createLogger(config.logLevel, (line) => {
    logs.push(JSON.parse(line) as LogLine);
    if (options.printLogs) process.stdout.write(line + '\n');
  });
  const { env: _env, limits: _limits, printLogs: _print, ...buildOptions } = options;
  const app = buildApp(config, { ...buildOptions, logger });
  const started = await app.start();
  let stopped: Promise<void> | undefined;
  return {
    app,
    config,
    logs,
    url: started.url,
    graphqlUrl: started.graphqlUrl,
    wsUrl: started.wsUrl,
    port: started.port,
    stop: () => (stopped ??= app.stop()),
  };
}
