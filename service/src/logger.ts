/**
 * One JSON object per line on stdout (what CloudWatch Logs and most collectors ingest as-is).
 * A small logger instead of pino: the service logs a handful of events (connections, drain, Redis), so
 * a synchronous line writer with levels and bound fields is enough and adds no dependency to the image.
 */
import type { LogLevel } from './config';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** Same sink and level, with fields added to every line. */
  child(fields: LogFields): Logger;
  /** True when a line at `level` would be written (skip building expensive fields otherwise). */
  enabled(level: LogLevel): boolean;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where lines go; defaults to stdout. Tests pass a collector. */
export type LogSink = (line: string) => void;

const stdoutSink: LogSink = (line) => {
  process.stdout.write(line + '\n');
};

export function createLogger(level: LogLevel, sink: LogSink = stdoutSink, bound: LogFields = {}): Logger {
  const min = RANK[level];
  const write = (lvl: LogLevel, event: string, fields?: LogFields) => {
    if (RANK[lvl] < min) return;
    const line: LogFields = { time: new Date().toISOString(), level: lvl, event, ...bound, ...fields };
    sink(safeStringify(line));
  };
  return {
    debug: (event, fields) => write('debug', event, fields),
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
    child: (fields) => createLogger(level, sink, { ...bound, ...fields }),
    enabled: (lvl) => RANK[lvl] >= min,
  };
}

/** Errors become { name, message, code? }; a stack only at debug would be noise in production logs. */
export function errorFields(err: unknown): LogFields {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { error: { name: err.name, message: err.message, ...(code !== undefined ? { code } : {}) } };
  }
  return { error: { message: String(err) } };
}

function safeStringify(value: LogFields): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return JSON.stringify({ time: value.time, level: value.level, event: value.event, unserializable: true });
  }
}
