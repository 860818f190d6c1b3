/**
 * Watches the ECS task metadata endpoint (v4) for the task's desired status. ECS marks a task STOPPED as
 * soon as it decides to stop it (deployment, scale-in), deregisters it from the target group, and only
 * sends SIGTERM after the deregistration delay. Seeing STOPPED early lets the service drain its sockets
 * itself, with 1012, before the load balancer cuts them (1006).
 */
import { errorFields, type Logger } from './logger';

/** The fields of `${ECS_CONTAINER_METADATA_URI_V4}/task` the watcher reads (the document has many more). */
export interface TaskMetadata {
  readonly TaskARN?: string;
  readonly DesiredStatus?: string;
  readonly KnownStatus?: string;
}

export interface TaskMetadataWatcherOptions {
  /** ECS_CONTAINER_METADATA_URI_V4 */
  readonly uri: string;
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Called once, when DesiredStatus is STOPPED. */
  readonly onStopping: (metadata: TaskMetadata) => void;
}

/** Starts polling; returns a function that stops it. */
export function watchTaskMetadata(options: TaskMetadataWatcherOptions): () => void {
  const { uri, intervalMs, logger, onStopping } = options;
  const url = `${uri.replace(/\/$/, '')}/task`;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  let first = true;

  const poll = async () => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.max(500, Math.min(intervalMs, 2_000))) });
      if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`);
      const metadata = (await response.json()) as TaskMetadata;
      if (first || failing) {
        logger.info('ecs.metadata', {
          taskArn: metadata.TaskARN,
          desiredStatus: metadata.DesiredStatus,
          knownStatus: metadata.KnownStatus,
        });
      }
      first = false;
      failing = false;
      if (metadata.DesiredStatus === 'STOPPED' && !stopped) {
        logger.info('ecs.task_stopping', { desiredStatus: metadata.DesiredStatus, knownStatus: metadata.KnownStatus });
        stopped = true;
        onStopping(metadata);
        return;
      }
    } catch (err) {
      // Keep polling: a blip of the agent must not stop the watch (SIGTERM still drains).
      if (!failing) logger.warn('ecs.metadata_failed', { url, ...errorFields(err) });
      failing = true;
    }
    if (!stopped) {
      timer = setTimeout(poll, intervalMs);
      timer.unref();
    }
  };
  timer = setTimeout(poll, 0);
  timer.unref();

  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
