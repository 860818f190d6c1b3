/**
 * Scenario 5: http:// is redirected to https:// with 301 (the ALB's redirect listener), and the service
 * sees the client's address through X-Forwarded-For and logs it.
 *
 * The client connects from 127.0.0.3 and nginx reaches the instances from 127.0.0.2 (proxy_bind), so an
 * address of 127.0.0.3 in the service's log can only have come from X-Forwarded-For, never from the
 * socket's peer.
 */
import { PATHS } from '../../service/src/container-contract';
import { sendHttp } from '../../e2e/http';
import { PROXY_BIND_ADDRESS, socketInstanceId, startStack, type Stack } from '../../e2e/stack';
import { waitFor } from '../../testkit/wait';

const CLIENT_ADDRESS = '127.0.0.3';

describe('scenario 5: redirect and client address', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('redirects http:// to https:// with 301, and the https location answers', async () => {
    const path = `${PATHS.graphql}?query=${encodeURIComponent('{ serverInfo { instanceId } }')}`;
    const res = await sendHttp(`${stack.proxy.httpOrigin}${path}`);
    expect(res.status).toBe(301);
    const location = res.headers.location ?? '';
    expect(location).toBe(`https://localhost:${stack.proxy.httpsPort}${path}`);

    // Following it (as a browser does) reaches an instance over TLS, path and query intact.
    const followed = await sendHttp(location, {
      ca: stack.proxy.certificate.certificatePem,
      headers: { accept: 'application/graphql-response+json' },
    });
    expect(followed.status).toBe(200);
    const body = JSON.parse(followed.body) as { data: { serverInfo: { instanceId: string } } };
    expect(stack.instances.map((i) => i.instanceId)).toContain(body.data.serverInfo.instanceId);
  });

  it('the service logs the client address from X-Forwarded-For, not the proxy peer', async () => {
    // The socket's ws.open is the first one logged after this mark, whatever address it carries.
    const marks = new Map(stack.instances.map((i) => [i.instanceId, i.process.logs.length]));
    const client = stack.client({ localAddress: CLIENT_ADDRESS });
    const instanceId = await socketInstanceId(client);
    const instance = stack.instanceById(instanceId);

    const open = await waitFor('ws.open of the new socket', () =>
      instance.process.logs.slice(marks.get(instanceId)).find((l) => l.event === 'ws.open'),
    );
    expect(open.address).toBe(CLIENT_ADDRESS);
    // No connection of this run was logged under the proxy's own address.
    expect(stack.logs().filter((l) => l.event === 'ws.open' && l.address === PROXY_BIND_ADDRESS)).toEqual([]);
  });

  it('a client cannot forge its logged address with its own X-Forwarded-For', async () => {
    const forged = '203.0.113.9';
    const fromClient = () => stack.logs().filter((l) => l.event === 'ws.open' && l.address === CLIENT_ADDRESS).length;
    const before = fromClient();

    // nginx appends the peer it saw ("203.0.113.9, 127.0.0.3"), as the ALB does; the service takes that one.
    const client = stack.client({ localAddress: CLIENT_ADDRESS, headers: { 'X-Forwarded-For': forged } });
    await socketInstanceId(client);
    await waitFor('the new socket logged under the real client address', () =>
      fromClient() > before ? true : undefined,
    );
    expect(stack.logs().filter((l) => l.event === 'ws.open' && l.address === forged)).toEqual([]);
  });
});
