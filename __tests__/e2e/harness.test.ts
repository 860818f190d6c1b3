/**
 * The ALB stand-in on its own: real nginx (from e2e/) in front of two trivial local upstreams (an HTTP
 * server that echoes what it received, and a raw `ws` echo server on the same port). Proves the proxy
 * behaves as the ALB before the scenarios rely on it: 301 redirect, verified TLS, forwarded headers,
 * upgrade pass-through, round-robin, connect retry on the other target, and the idle cut.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { sendHttp } from '../../e2e/http';
import { startNginx, type NginxProxy } from '../../e2e/nginx';
import { renderNginxConfig, type NginxConfigProps } from '../../e2e/nginx-config';
import { e2eTiming } from '../../e2e/timing';
import { freePort } from '../../testkit/ports';

interface Upstream {
  readonly name: string;
  readonly port: number;
  readonly seen: { url: string; headers: IncomingHttpHeaders; peer?: string }[];
  close(): Promise<void>;
}

async function startUpstream(name: string): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server: Server = createServer((req, res) => {
    seen.push({
      url: req.url ?? '',
      headers: req.headers,
      ...(req.socket.remoteAddress !== undefined ? { peer: req.socket.remoteAddress } : {}),
    });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name, headers: req.headers, peer: req.socket.remoteAddress }));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    socket.on('message', (data) => socket.send(`${name}:${data.toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    seen,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function openWs(url: string, ca: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ca });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(data.toString()));
    ws.once('close', (code) => reject(new Error(`closed with ${code} before a message`)));
  });
}

function closed(ws: WebSocket): Promise<{ code: number; at: number }> {
  return new Promise((resolve) => ws.once('close', (code) => resolve({ code, at: Date.now() })));
}

describe('nginx as the ALB (harness smoke test)', () => {
  // The smoke test uses a 1 s idle timeout to stay fast; the scenarios use e2eTiming() (5 s).
  const idleTimeoutSeconds = 1;
  let a: Upstream;
  let b: Upstream;
  let proxy: NginxProxy;

  beforeAll(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    proxy = await startNginx({
      upstreams: [
        { host: '127.0.0.1', port: a.port },
        { host: '127.0.0.1', port: b.port },
      ],
      idleTimeoutSeconds,
      proxyBindAddress: '127.0.0.2',
    });
  });

  afterAll(async () => {
    await proxy?.stop();
    await a?.close();
    await b?.close();
  });

  it('redirects http:// to https:// with 301, keeping host, path and query', async () => {
    const res = await sendHttp(`${proxy.httpOrigin}/graphql?query=x`);
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(`https://localhost:${proxy.httpsPort}/graphql?query=x`);
  });

  it('terminates TLS with the generated certificate: trusted with it as CA, refused without', async () => {
    const res = await sendHttp(`${proxy.httpsOrigin}/x`, { ca: proxy.certificate.certificatePem });
    expect(res.status).toBe(200);
    await expect(sendHttp(`${proxy.httpsOrigin}/x`)).rejects.toThrow(/self[- ]signed/i);
  });

  it('sets X-Forwarded-For / -Proto / -Port and forwards the Host header unchanged', async () => {
    const res = await sendHttp(`${proxy.httpsOrigin}/headers`, {
      ca: proxy.certificate.certificatePem,
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    const headers = (JSON.parse(res.body) as { headers: IncomingHttpHeaders }).headers;
    // The client's own X-Forwarded-For is kept and the peer address appended, as the ALB does.
    expect(headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('https');
    expect(headers['x-forwarded-port']).toBe(String(proxy.httpsPort));
    expect(headers.host).toBe(`localhost:${proxy.httpsPort}`);
  });

  it("connects to targets from its own address, so the client's shows only in X-Forwarded-For", async () => {
    // The whole 127/8 range is loopback on Linux: the client speaks from 127.0.0.3, nginx from 127.0.0.2.
    const res = await sendHttp(`https://127.0.0.1:${proxy.httpsPort}/peer`, {
      ca: proxy.certificate.certificatePem,
      localAddress: '127.0.0.3',
    });
    const body = JSON.parse(res.body) as { headers: IncomingHttpHeaders; peer: string };
    expect(body.peer).toBe('127.0.0.2');
    expect(body.headers['x-forwarded-for']).toBe('127.0.0.3');
  });

  it('round-robins requests over both targets', async () => {
    const names: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await sendHttp(`${proxy.httpsOrigin}/rr`, { ca: proxy.certificate.certificatePem });
      names.push((JSON.parse(res.body) as { name: string }).name);
    }
    expect(names.filter((n) => n === 'a')).toHaveLength(3);
    expect(names.filter((n) => n === 'b')).toHaveLength(3);
  });

  it('passes the WebSocket upgrade through over HTTP/1.1 (wss echo)', async () => {
    const ws = await openWs(`${proxy.wssOrigin}/echo`, proxy.certificate.certificatePem);
    try {
      const reply = nextMessage(ws);
      ws.send('hello');
      expect(await reply).toMatch(/^[ab]:hello$/);
      const upgrade = [...a.seen, ...b.seen].find((s) => s.url === '/echo');
      expect(upgrade?.headers.upgrade).toBe('websocket');
      expect(upgrade?.headers.connection).toMatch(/upgrade/i);
      expect(upgrade?.headers['x-forwarded-proto']).toBe('https');
    } finally {
      ws.terminate();
    }
  });

  it(`cuts a WebSocket with no traffic after the idle timeout (${idleTimeoutSeconds} s), not one that pings`, async () => {
    const ca = proxy.certificate.certificatePem;
    const quiet = await openWs(`${proxy.wssOrigin}/quiet`, ca);
    const busy = await openWs(`${proxy.wssOrigin}/busy`, ca);
    const openedAt = Date.now();
    const ping = setInterval(() => busy.ping(), 300);
    try {
      const quietClosed = await closed(quiet);
      // nginx closes the TCP connection without a close frame: the client sees 1006, as behind the ALB.
      expect(quietClosed.code).toBe(1006);
      const lifetime = quietClosed.at - openedAt;
      expect(lifetime).toBeGreaterThanOrEqual(idleTimeoutSeconds * 1000 - 100);
      expect(lifetime).toBeLessThan(idleTimeoutSeconds * 1000 + 1500);
      // The pinged socket outlives three idle timeouts.
      await new Promise((r) => setTimeout(r, 3 * idleTimeoutSeconds * 1000 - lifetime));
      expect(busy.readyState).toBe(WebSocket.OPEN);
    } finally {
      clearInterval(ping);
      quiet.terminate();
      busy.terminate();
    }
  });

  it('retries a refused connect on the other target (a stopped target is never seen by clients)', async () => {
    const downPort = await freePort();
    const lone = await startNginx({
      upstreams: [
        { host: '127.0.0.1', port: downPort },
        { host: '127.0.0.1', port: b.port },
      ],
      idleTimeoutSeconds: 5,
    });
    try {
      for (let i = 0; i < 4; i++) {
        const res = await sendHttp(`${lone.httpsOrigin}/retry`, { ca: lone.certificate.certificatePem });
        expect(res.status).toBe(200);
        expect((JSON.parse(res.body) as { name: string }).name).toBe('b');
      }
      const ws = await openWs(`${lone.wssOrigin}/retry-ws`, lone.certificate.certificatePem);
      ws.terminate();
      expect(await lone.errorLog()).toMatch(/connect\(\) failed \(111: Connection refused\)/);
    } finally {
      await lone.stop();
    }
  });
});

describe('renderNginxConfig', () => {
  const base: NginxConfigProps = {
    prefix: '/tmp/e2e-x',
    httpsPort: 8443,
    httpPort: 8080,
    upstreams: [
      { host: '127.0.0.1', port: 4001 },
      { host: '127.0.0.1', port: 4002 },
    ],
    certificatePath: '/tmp/e2e-x/cert.pem',
    keyPath: '/tmp/e2e-x/key.pem',
    idleTimeoutSeconds: 5,
  };

  it('derives the read/send timeouts from the shared timing config', () => {
    // Not the base's 5 s: the value must come from the prop.
    const timing = e2eTiming({ idleTimeoutSeconds: 7 });
    expect(timing.idleTimeoutSeconds).not.toBe(base.idleTimeoutSeconds);
    const conf = renderNginxConfig({ ...base, idleTimeoutSeconds: timing.idleTimeoutSeconds });
    expect(conf).toContain(`proxy_read_timeout ${timing.idleTimeoutSeconds}s;`);
    expect(conf).toContain(`proxy_send_timeout ${timing.idleTimeoutSeconds}s;`);
    expect(conf).toContain('return 301 https://$host:8443$request_uri;');
    expect(conf).toMatch(/server 127\.0\.0\.1:4001 .*;\n\s+server 127\.0\.0\.1:4002 /);
  });

  it.each([
    [{ httpsPort: 0 }, /'httpsPort' must be an integer in 1\.\.65535 \(got 0\)/],
    [{ httpPort: 8443 }, /'httpPort' must differ from httpsPort/],
    [{ idleTimeoutSeconds: 4001 }, /'idleTimeoutSeconds' must be an integer in 1\.\.4000 \(got 4001\)/],
    [{ idleTimeoutSeconds: 2.5 }, /'idleTimeoutSeconds' must be an integer/],
    [{ upstreams: [] }, /'upstreams' must list at least one target/],
    [{ upstreams: [{ host: '127.0.0.1;evil', port: 1 }] }, /'upstreams\[0\]\.host' must be a host name/],
    [{ prefix: 'relative/dir' }, /'prefix' must be an absolute path/],
    [{ keyPath: '/tmp/x; include /etc/passwd' }, /'keyPath' must be an absolute path/],
  ] as [Partial<NginxConfigProps>, RegExp][])('rejects %j', (override, message) => {
    expect(() => renderNginxConfig({ ...base, ...override })).toThrow(message);
  });
});
