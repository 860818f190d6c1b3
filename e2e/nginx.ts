/**
 * nginx as a child process: config and certificate in a fresh temp dir, listeners on free loopback
 * ports, stopped (and the dir removed) by `stop()`, and killed when the Node process exits whatever
 * happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from './cert';
import { renderNginxConfig, type NginxConfigProps } from './nginx-config';
import { freePort } from '../testkit/ports';
import { killOnExit } from './processes';

export const NGINX_PATH = '/usr/sbin/nginx';

export interface StartNginxProps extends Omit<
  NginxConfigProps,
  'prefix' | 'httpsPort' | 'httpPort' | 'certificatePath' | 'keyPath'
> {
  /**
   * Certificate to serve.
   * @default - a fresh self-signed one (openssl) in the temp dir
   */
  readonly certificate?: SelfSignedCertificate;
  /**
   * nginx binary.
   * @default /usr/sbin/nginx
   */
  readonly nginxPath?: string;
  /**
   * How long nginx may take to listen, in milliseconds.
   * @default 10000
   */
  readonly startTimeoutMs?: number;
  /**
   * HTTPS port to listen on, for callers that must know the page origin before nginx starts (the services'
   * PUBLIC_ORIGIN). Without it nginx gets a free port, and a fresh one if that is taken before it binds.
   * @default - a free port
   */
  readonly httpsPort?: number;
  /**
   * Keep the temp dir (config, logs) after stop, for debugging.
   * @default - true when E2E_KEEP=1
   */
  readonly keepDir?: boolean;
}

export interface NginxProxy {
  /** Temp dir with nginx.conf, cert, logs. */
  readonly prefix: string;
  readonly httpsPort: number;
  readonly httpPort: number;
  /** `https://localhost:<port>` */
  readonly httpsOrigin: string;
  /** `wss://localhost:<port>` */
  readonly wssOrigin: string;
  /** `http://localhost:<port>` (the redirect listener) */
  readonly httpOrigin: string;
  readonly certificate: SelfSignedCertificate;
  readonly config: string;
  readonly process: ChildProcess;
  errorLog(): Promise<string>;
  accessLog(): Promise<string>;
  /** Fast shutdown (SIGTERM), SIGKILL after 3 s; removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves true once a TCP connect to 127.0.0.1:port succeeds, false if it fails. */
function canConnect(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function readOr(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** Waits for the process to exit; true if it did within timeoutMs. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM (or the given signal), then SIGKILL after graceMs. */
export async function terminate(
  child: ChildProcess,
  graceMs = 3000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (!(await waitForExit(child, graceMs))) {
    child.kill('SIGKILL');
    await waitForExit(child, 2000);
  }
}

async function attempt(
  props: StartNginxProps,
  prefix: string,
  certificate: SelfSignedCertificate,
): Promise<NginxProxy> {
  // nginx must be told its ports: free ones now, a retry on fresh ones if another process takes one first.
  const httpsPort = props.httpsPort ?? (await freePort());
  let httpPort = await freePort();
  while (httpPort === httpsPort) httpPort = await freePort();
  const config = renderNginxConfig({
    ...props,
    prefix,
    httpsPort,
    httpPort,
    certificatePath: certificate.certificatePath,
    keyPath: certificate.keyPath,
  });
  const confPath = join(prefix, 'nginx.conf');
  await writeFile(confPath, config);
  const errorLogPath = join(prefix, 'error.log');
  const accessLogPath = join(prefix, 'access.log');

  // -e: errors before the config is read go to our log too, not /var/log/nginx.
  const child = spawn(props.nginxPath ?? NGINX_PATH, ['-p', prefix, '-c', confPath, '-e', errorLogPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const unregister = killOnExit(child, prefix);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));

  const deadline = Date.now() + (props.startTimeoutMs ?? 10_000);
  for (;;) {
    if (spawnError) {
      unregister();
      throw new Error(
        `startNginx: cannot run ${props.nginxPath ?? NGINX_PATH} (run \`npm run setup\`): ${spawnError.message}`,
      );
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      unregister();
      const log = (await readOr(errorLogPath)).trim().split('\n').slice(-5).join('\n');
      throw new Error(`startNginx: nginx exited (${child.exitCode ?? child.signalCode}):\n${output}${log}`);
    }
    if ((await canConnect(httpsPort)) && (await canConnect(httpPort))) break;
    if (Date.now() > deadline) {
      await terminate(child);
      unregister();
      throw new Error(
        `startNginx: nginx did not listen on ${httpsPort}/${httpPort} within ${props.startTimeoutMs ?? 10_000} ms`,
      );
    }
    await sleep(50);
  }

  let stopped: Promise<void> | undefined;
  const keepDir = props.keepDir ?? process.env.E2E_KEEP === '1';
  return {
    prefix,
    httpsPort,
    httpPort,
    httpsOrigin: `https://localhost:${httpsPort}`,
    wssOrigin: `wss://localhost:${httpsPort}`,
    httpOrigin: `http://localhost:${httpPort}`,
    certificate,
    config,
    process: child,
    errorLog: () => readOr(errorLogPath),
    accessLog: () => readOr(accessLogPath),
    stop: () =>
      (stopped ??= (async () => {
        await terminate(child);
        unregister();
        if (!keepDir) await rm(prefix, { recursive: true, force: true });
      })()),
  };
}

/** Starts nginx in front of `upstreams`; resolves once both listeners accept connections. */
export async function startNginx(props: StartNginxProps): Promise<NginxProxy> {
  const prefix = await mkdtemp(join(tmpdir(), 'e2e-nginx-'));
  try {
    await mkdir(join(prefix, 'tmp'), { recursive: true });
    const certificate = props.certificate ?? (await generateSelfSignedCertificate(prefix));
    try {
      return await attempt(props, prefix, certificate);
    } catch (err) {
      // A reserved port can be taken before nginx binds it: one retry on fresh ports.
      if (err instanceof Error && /Address already in use/.test(err.message) && props.httpsPort === undefined) {
        return await attempt(props, prefix, certificate);
      }
      throw err;
    }
  } catch (err) {
    await rm(prefix, { recursive: true, force: true });
    throw err;
  }
}
