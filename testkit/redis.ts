/**
 * A real `redis-server` for tests: its own process on a free loopback port, no persistence
 * (`--save '' --appendonly no`), stoppable and restartable on the same port (to test Redis going away and
 * coming back), optionally with AUTH and TLS (ElastiCache-like). Every server started here dies with the
 * process that started it, even if a test forgot to stop it (on Linux: tools/killed-with-parent.ts). The
 * benchmark uses it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { killedWithParent } from '../tools/killed-with-parent';
import { freePort } from './ports';

export interface RedisTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

export interface StartRedisOptions {
  /** `requirepass`: clients must AUTH with it (ElastiCache AUTH token). */
  readonly password?: string;
  /** Serve TLS only (rediss://), like ElastiCache in-transit encryption. */
  readonly tls?: RedisTlsFiles;
}

export interface RedisServer {
  readonly port: number;
  /** redis://127.0.0.1:port, or rediss:// with TLS (no password in it). */
  readonly url: string;
  readonly running: boolean;
  /** Stops the server (SIGTERM, or SIGKILL for an abrupt loss) and waits for the process to exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const START_TIMEOUT_MS = 5_000;

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-test-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      let child = await launch(port, dir, options);
      const server: RedisServer = {
        port,
        url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
        get running() {
          return child.exitCode === null && child.signalCode === null;
        },
        async stop(signal = 'SIGTERM') {
          await stopChild(child, signal);
          if (signal === 'SIGTERM') rmSync(dir, { recursive: true, force: true });
        },
        async restart() {
          await stopChild(child, 'SIGKILL');
          child = await launch(port, dir, options);
        },
      };
      return server;
    } catch (err) {
      lastError = err;
      if (!/Address already in use/i.test(String(err))) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`startRedis: could not start redis-server: ${String(lastError)}`);
}

function launch(port: number, dir: string, options: StartRedisOptions): Promise<ChildProcess> {
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir];
  if (options.tls) {
    args.push(
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--tls-cert-file',
      options.tls.certFile,
      '--tls-key-file',
      options.tls.keyFile,
      '--tls-ca-cert-file',
      options.tls.caFile,
      '--tls-auth-clients',
      'no',
    );
  } else {
    args.push('--port', String(port));
  }
  if (options.password !== undefined) args.push('--requirepass', options.password);

  return new Promise((resolve, reject) => {
    const [command, commandArgs] = killedWithParent('redis-server', args);
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server not ready after ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (err) => {
      clearTimeout(timer);
      live.delete(child);
      reject(new Error(`redis-server failed to spawn (is it installed? npm run setup): ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      clearTimeout(timer);
      reject(new Error(`redis-server exited (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * Takes the subscribers away: closes every connection in pub/sub mode and keeps new connections from
 * getting ready (a password is required) until the returned function is called. Connections already open,
 * like the services' publishing ones and `admin`, keep working, so a test can publish into the gap of a
 * subscriber that is away, as while a failover or a network blip takes it off Redis.
 */
export async function takeSubscribersAway(admin: Redis): Promise<() => Promise<void>> {
  await admin.config('SET', 'requirepass', 'subscribers-away');
  await admin.client('KILL', 'TYPE', 'pubsub');
  return async () => {
    await admin.config('SET', 'requirepass', '');
  };
}
