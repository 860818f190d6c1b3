/**
 * Entry point: reads the environment, builds and starts the app, and turns ECS's stop sequence into a
 * drain (task metadata DesiredStatus=STOPPED or SIGTERM, whichever comes first), then exits 0.
 */
import { buildApp } from './app';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { watchTaskMetadata } from './ecs-metadata';
import { createLogger, errorFields } from './logger';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems : [String(err)];
    createLogger('error').error('config.invalid', { problems });
    process.exit(1);
  }

  const logger = createLogger(config.logLevel).child({ instance: config.instanceId });
  // A stray rejection must not take 10k sockets down with it; an uncaught exception leaves unknown state.
  process.on('unhandledRejection', (reason) => logger.error('process.unhandled_rejection', errorFields(reason)));
  process.on('uncaughtException', (err) => {
    logger.error('process.uncaught_exception', errorFields(err));
    process.exit(1);
  });

  const app = buildApp(config, { logger });
  let stopWatching: (() => void) | undefined;
  let draining = false;
  const drainAndExit = (reason: string) => {
    stopWatching?.();
    if (draining) {
      logger.info('drain.already_running', { reason });
      return;
    }
    draining = true;
    app.drain(reason).then(
      () => {
        logger.info('process.exit', { code: 0 });
        process.exit(0);
      },
      (err: unknown) => {
        logger.error('drain.failed', errorFields(err));
        process.exit(1);
      },
    );
  };
  // Before listening: without a handler, a SIGTERM during startup would kill the process outright.
  process.on('SIGTERM', () => drainAndExit('SIGTERM'));
  process.on('SIGINT', () => {
    if (!draining) return drainAndExit('SIGINT');
    // Second Ctrl-C: skip the window.
    logger.info('stop.forced', { signal: 'SIGINT' });
    app.stop().finally(() => process.exit(0));
  });

  await app.start();
  if (config.ecsMetadataUri !== undefined && !draining) {
    stopWatching = watchTaskMetadata({
      uri: config.ecsMetadataUri,
      intervalMs: config.drainPollIntervalMs,
      logger,
      onStopping: () => drainAndExit('ecs_desired_status_stopped'),
    });
  }
}

main().catch((err: unknown) => {
  createLogger('error').error('process.start_failed', errorFields(err));
  process.exit(1);
});
