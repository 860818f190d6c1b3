/**
 * nginx configured the way the ALB behaves, so the e2e tests exercise the path production runs:
 * - an HTTPS listener terminating TLS and forwarding over HTTP/1.1, passing the WebSocket upgrade;
 * - X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Port set as the ALB sets them;
 * - round-robin over the targets, and a failed connect (or a 502/503 from a target that is going away)
 *   retried on the next target, as the ALB never routes to a deregistered target;
 * - the ALB idle timeout as proxy_read_timeout / proxy_send_timeout / keepalive_timeout: a socket with no
 *   traffic for that long is cut, which the clients see as 1006;
 * - an HTTP listener that redirects to https with 301, as the ALB's redirect listener.
 *
 * Pure function: no file system, no processes (see nginx.ts for those).
 */

export interface UpstreamTarget {
  readonly host: string;
  readonly port: number;
}

export interface NginxConfigProps {
  /** Absolute directory holding the pid file, logs and temp paths (nginx `-p` prefix). */
  readonly prefix: string;
  /** Port of the TLS listener (the ALB's :443). */
  readonly httpsPort: number;
  /** Port of the redirect listener (the ALB's :80). */
  readonly httpPort: number;
  /** Targets, in round-robin order. */
  readonly upstreams: readonly UpstreamTarget[];
  /** Absolute path of the PEM certificate. */
  readonly certificatePath: string;
  /** Absolute path of the PEM private key. */
  readonly keyPath: string;
  /** The ALB idle timeout, in seconds (from the shared timing config). */
  readonly idleTimeoutSeconds: number;
  /**
   * Address the listeners bind.
   * @default 127.0.0.1
   */
  readonly listenHost?: string;
  /**
   * Absolute directory served as static files under `/e2e/` (the browser test's page), same origin as
   * the GraphQL endpoint.
   * @default - no static location
   */
  readonly staticRoot?: string;
  /**
   * Local address nginx connects to the targets from, so a target can tell the proxy's address (its
   * peer) from the client's (X-Forwarded-For), as behind the ALB whose nodes have their own IPs.
   * @default - the OS picks (127.0.0.1 on loopback)
   */
  readonly proxyBindAddress?: string;
  /**
   * Time nginx waits for a target to accept a connection before it tries the next one, in seconds.
   * @default 2
   */
  readonly connectTimeoutSeconds?: number;
  /**
   * Most simultaneous connections of the worker (each proxied WebSocket holds two).
   * @default 4096
   */
  readonly workerConnections?: number;
}

const OWNER = 'NginxConfig';

function fail(prop: string, value: unknown, rule: string): never {
  throw new Error(`${OWNER}: '${prop}' ${rule} (got ${JSON.stringify(value)})`);
}

function checkPort(prop: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535) fail(prop, value, 'must be an integer in 1..65535');
}

// Anything nginx would read as syntax (spaces, quotes, ;, braces, $) must not reach the config.
const SAFE_PATH = /^\/[A-Za-z0-9._\-/]*$/;
const SAFE_HOST = /^[A-Za-z0-9.\-:[\]]+$/;

function checkPath(prop: string, value: string): void {
  if (typeof value !== 'string' || !SAFE_PATH.test(value)) {
    fail(prop, value, 'must be an absolute path of letters, digits and . _ - /');
  }
}

function checkHost(prop: string, value: string): void {
  if (typeof value !== 'string' || !SAFE_HOST.test(value)) fail(prop, value, 'must be a host name or IP address');
}

function checkPositiveInteger(prop: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) fail(prop, value, `must be an integer in 1..${max}`);
}

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Returns the nginx.conf text; throws a message naming the prop and the allowed range on bad input. */
export function renderNginxConfig(props: NginxConfigProps): string {
  const listenHost = props.listenHost ?? '127.0.0.1';
  const connectTimeoutSeconds = props.connectTimeoutSeconds ?? 2;
  const workerConnections = props.workerConnections ?? 4096;

  checkPath('prefix', props.prefix);
  checkPath('certificatePath', props.certificatePath);
  checkPath('keyPath', props.keyPath);
  if (props.staticRoot !== undefined) checkPath('staticRoot', props.staticRoot);
  checkPort('httpsPort', props.httpsPort);
  checkPort('httpPort', props.httpPort);
  if (props.httpsPort === props.httpPort) fail('httpPort', props.httpPort, 'must differ from httpsPort');
  checkHost('listenHost', listenHost);
  if (props.proxyBindAddress !== undefined) checkHost('proxyBindAddress', props.proxyBindAddress);
  // The ALB accepts 1..4000 s; so does this stand-in.
  checkPositiveInteger('idleTimeoutSeconds', props.idleTimeoutSeconds, 4000);
  checkPositiveInteger('connectTimeoutSeconds', connectTimeoutSeconds, 60);
  checkPositiveInteger('workerConnections', workerConnections, 65535);
  if (!Array.isArray(props.upstreams) || props.upstreams.length === 0) {
    fail('upstreams', props.upstreams, 'must list at least one target');
  }
  props.upstreams.forEach((u, i) => {
    checkHost(`upstreams[${i}].host`, u.host);
    checkPort(`upstreams[${i}].port`, u.port);
  });

  const p = props.prefix.replace(/\/+$/, '');
  const idle = `${props.idleTimeoutSeconds}s`;
  const servers = props.upstreams
    // max_fails=1 fail_timeout=10s: a target that refused a connect is skipped for a while, like a
    // deregistered one.
    .map((u) => `    server ${hostPort(u.host, u.port)} max_fails=1 fail_timeout=10s;`)
    .join('\n');
  const staticLocation =
    props.staticRoot === undefined
      ? ''
      : `
    location /e2e/ {
      alias ${props.staticRoot.replace(/\/*$/, '/')};
      add_header Cache-Control no-store;
    }
`;

  return `# Generated by e2e/nginx-config.ts: nginx standing in for the ALB. Do not edit.
daemon off;
# One process: killing it leaves no orphaned worker behind, even on SIGKILL.
master_process off;
worker_processes 1;
worker_rlimit_nofile ${workerConnections * 2};
pid ${p}/nginx.pid;
error_log ${p}/error.log info;

events {
  worker_connections ${workerConnections};
}

http {
  client_body_temp_path ${p}/tmp/client_body;
  proxy_temp_path ${p}/tmp/proxy;
  fastcgi_temp_path ${p}/tmp/fastcgi;
  uwsgi_temp_path ${p}/tmp/uwsgi;
  scgi_temp_path ${p}/tmp/scgi;

  types {
    text/html html;
    application/javascript js;
    text/css css;
  }
  default_type application/octet-stream;

  log_format alb '$remote_addr [$time_iso8601] "$request" $status upstream=$upstream_addr '
                 'upstream_status=$upstream_status request_time=$request_time';
  access_log ${p}/access.log alb;

  # Upgrade only when the client asks for it; plain requests get Connection: close.
  map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
  }

  upstream service {
${servers}
  }

  # The ALB's redirect listener: HTTP -> HTTPS, 301, same host and path.
  server {
    listen ${hostPort(listenHost, props.httpPort)};
    server_name _;
    return 301 https://$host:${props.httpsPort}$request_uri;
  }

  server {
    listen ${hostPort(listenHost, props.httpsPort)} ssl;
    server_name _;
    ssl_certificate ${props.certificatePath};
    ssl_certificate_key ${props.keyPath};
    ssl_protocols TLSv1.2 TLSv1.3;

    # The ALB idle timeout applies to client connections too.
    keepalive_timeout ${idle};
${staticLocation}
    location / {
      proxy_pass http://service;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      # The Host header as the client sent it, port included (the ALB forwards it unchanged). The service
      # does not trust it for origin checks (PUBLIC_ORIGIN / ALLOWED_ORIGINS are configured instead).
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Port $server_port;

      # The ALB idle timeout: no byte in either direction for this long and the connection is cut.
      proxy_read_timeout ${idle};
      proxy_send_timeout ${idle};
      proxy_connect_timeout ${connectTimeoutSeconds}s;${
        props.proxyBindAddress === undefined
          ? ''
          : `
      proxy_bind ${props.proxyBindAddress};`
      }
      # A target that refuses the connect, or answers 502/503 while it goes away, is skipped.
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries ${props.upstreams.length};

      # SSE and subscription responses stream; never hold them back.
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`;
}
