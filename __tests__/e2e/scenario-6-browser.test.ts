/**
 * Scenario 6: a real browser. Headless Chromium (Debian's package, driven by playwright-core with its
 * executablePath; playwright never downloads a browser here) talks to the stack through the proxy's https
 * origin, subscribes over wss://, and shows a message that another client (this test, over https) posted:
 * - from a page running the recommended client (e2e/page/), served by the proxy under /e2e/;
 * - from the service's own GraphiQL, whose scripts come from the service itself: the test fails if the page
 *   asks for anything outside the proxy's origin.
 * - from the same page when the instance holding its socket is drained (SIGTERM, close 1012) while messages are
 *   posted: the recommended client reconnects through the proxy to the other instance, resumes from its last
 *   position, and the page shows every message posted meanwhile, exactly once, in order.
 * Screenshots are saved to e2e/artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/browser';
import { MESSAGE_POSTED, startStack, type Stack } from '../../e2e/stack';
import { postMessage } from '../../testkit/clients';
import { sleep, waitFor, withTimeout } from '../../testkit/wait';

const ARTIFACTS = join(__dirname, '..', '..', 'e2e', 'artifacts');
const SCREENSHOT = join(ARTIFACTS, 'browser-subscription.png');
const GRAPHIQL_SCREENSHOT = join(ARTIFACTS, 'graphiql-subscription.png');
const RESUME_SCREENSHOT = join(ARTIFACTS, 'browser-resume.png');
const ROOM = 'browser';

describe('scenario 6: a real browser subscribes through the proxy', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    stack = await startStack({
      page: {
        graphqlPath: '/graphql',
        subscription: { query: MESSAGE_POSTED, variables: { room: ROOM } },
        display: { text: ['messagePosted', 'text'], detail: ['messagePosted', 'sentAt'] },
      },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], timeout: 20_000 });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows a message posted by another client, and saves a screenshot', async () => {
    // The run's self-signed certificate is not in Chromium's store; everything else about TLS is real.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 900, height: 520 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));

    await page.goto(stack.pageUrl!, { timeout: 10_000 });
    await page.waitForFunction(
      () => (window as unknown as { e2e: { state: string } }).e2e.state === 'connected',
      undefined,
      {
        timeout: 10_000,
      },
    );

    // Until the subscription is live on the server, a message can pass it by: post until one shows.
    let probes = 0;
    await waitFor(
      'a probe message on the page',
      async () => {
        await stack.post(ROOM, `probe ${++probes}`);
        return (await page.locator('#messages li').count()) > 0;
      },
      10_000,
      200,
    );

    const text = `Hello from another client (${new Date().toISOString()})`;
    const res = await stack.post(ROOM, text);
    expect(res.errors).toBeUndefined();
    await page.locator('#messages li .text', { hasText: text }).waitFor({ timeout: 5_000 });

    // Drop the probes from the page so the screenshot shows the message itself.
    await page.evaluate((keep) => {
      for (const li of Array.from(document.querySelectorAll('#messages li'))) {
        if (!li.textContent?.includes(keep)) li.remove();
      }
    }, text);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    expect(await page.locator('#status').textContent()).toBe('connected');
    expect(sockets).toEqual([stack.wsUrl]);
    expect(pageErrors).toEqual([]);
    // The browser's socket reached an instance through the proxy, and no upgrade was refused (e.g. 403 Origin).
    expect(stack.logs().some((l) => l.event === 'ws.open')).toBe(true);
    expect(stack.logs().filter((l) => l.event === 'ws.upgrade_refused')).toEqual([]);
  });

  it("runs a subscription in the service's GraphiQL over WebSocket, with no asset from outside", async () => {
    const origin = new URL(stack.graphqlUrl).origin;
    const room = 'graphiql';
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1100, height: 560 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) elsewhere.push(url);
    });
    const sockets: string[] = [];
    const sent: string[] = [];
    page.on('websocket', (ws) => {
      sockets.push(ws.url());
      ws.on('framesent', (f) => sent.push(String(f.payload)));
    });

    // GraphiQL takes the operation from the URL; the page is large (its scripts are inlined), hence the timeouts.
    const query = `subscription { messagePosted(room: "${room}") { text } }`;
    await page.goto(`${stack.graphqlUrl}?query=${encodeURIComponent(query)}`, { timeout: 30_000 });
    const run = page.locator('.graphiql-execute-button');
    await run.waitFor({ timeout: 30_000 });
    await run.click();

    // The response pane is an editor that renders spaces as no-break spaces.
    const paneText = async () => (await page.locator('.graphiql-response').innerText()).replace(/\s+/g, ' ');
    let probes = 0;
    await waitFor(
      'a probe message in the GraphiQL response pane',
      async () => {
        await stack.post(room, `probe ${++probes}`);
        return /probe \d+/.test(await paneText());
      },
      15_000,
      300,
    );
    const text = `Hello GraphiQL (${new Date().toISOString()})`;
    expect((await stack.post(room, text)).errors).toBeUndefined();
    await waitFor('the message in the response pane', async () => (await paneText()).includes(text), 5_000);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: GRAPHIQL_SCREENSHOT });

    expect(elsewhere).toEqual([]);
    expect(sockets).toEqual([stack.wsUrl]);
    // graphql-transport-ws: GraphiQL subscribed over the socket, not over SSE.
    expect(sent.some((f) => JSON.parse(f).type === 'subscribe')).toBe(true);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 90_000);

  // Last: it drains one of the stack's two instances.
  it('loses its socket to a drain and shows every message posted meanwhile, once each, in order', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // The page's WebSockets go through a route that can hold a reconnect (below), and otherwise connects them
    // to the server at once. Routed before the page loads: its client keeps the WebSocket class it starts with.
    let reconnectHeld: Promise<void> | undefined;
    await page.routeWebSocket(/\/graphql$/, async (ws) => {
      await reconnectHeld;
      ws.connectToServer();
    });
    await page.goto(stack.pageUrl!, { timeout: 10_000 });
    type PageState = {
      e2e: { state: string; closes: number; recoveries: unknown[]; instanceId: () => Promise<string> };
    };
    await page.waitForFunction(() => (window as unknown as PageState).e2e.state === 'connected', undefined, {
      timeout: 10_000,
    });
    let probes = 0;
    await waitFor(
      'a probe message on the page',
      async () => {
        await stack.post(ROOM, `probe ${++probes}`);
        return (await page.locator('#messages li').count()) > 0;
      },
      10_000,
      200,
    );
    const instanceId = await page.evaluate(() => (window as unknown as PageState).e2e.instanceId());
    const draining = stack.instanceById(instanceId);

    // Numbered messages, one at a time (so accepted order is publish order), until told to stop, posted to
    // the instance that stays (straight, not through the proxy, which may hold a post on the draining one).
    const survivor = stack.instances.find((i) => i.instanceId !== instanceId);
    if (survivor === undefined) throw new Error('scenario 6 needs a second instance');
    const accepted: string[] = [];
    let failed = 0;
    let publishing = true;
    const publisher = (async () => {
      for (let n = 1; publishing; n++) {
        const text = `seq ${n}`;
        const res = await postMessage(`${survivor.url}/graphql`, ROOM, text).catch(() => undefined);
        if (res?.body.data?.postMessage) accepted.push(text);
        else failed++;
        await sleep(50);
      }
    })();
    let releaseReconnect = () => undefined as void;
    try {
      await waitFor('a few messages before the drain', () => accepted.length >= 3, 5_000, 20);
      // The page reconnects within tens of milliseconds, which posts may miss. Its next WebSocket is held
      // (connecting) until messages were accepted without it: a certain gap. Going offline instead also holds
      // back the drain's close frame, so the page may never learn that its socket ended.
      reconnectHeld = new Promise<void>((resolve) => (releaseReconnect = resolve));
      draining.process.kill('SIGTERM');
      await page.waitForFunction(() => (window as unknown as PageState).e2e.closes > 0, undefined, {
        timeout: 10_000,
      });
      const postedAtClose = accepted.length;
      await waitFor(
        'messages accepted while the page has no socket',
        () => accepted.length >= postedAtClose + 3,
        5_000,
      );
      releaseReconnect();
      // Back on the other instance and told whether its resumed subscription recovered.
      await page.waitForFunction(() => (window as unknown as PageState).e2e.recoveries.length > 0, undefined, {
        timeout: 15_000,
      });
      const postedAtRecovery = accepted.length;
      await waitFor('live messages after the resume', () => accepted.length >= postedAtRecovery + 5, 5_000, 20);
    } finally {
      releaseReconnect();
      publishing = false;
      await publisher;
    }
    const shown = async () =>
      (await page.locator('#messages li .text').allTextContents()).filter((t) => t.startsWith('seq '));
    await waitFor('the last message on the page', async () => (await shown()).includes(accepted.at(-1)!), 5_000);
    await sleep(500);

    // Asserted on the DOM: every accepted message, exactly once, in publish order.
    expect(failed).toBe(0);
    expect(await shown()).toEqual(accepted);
    await expect(page.locator('#recovery').getAttribute('data-recovered')).resolves.toBe('true');
    const recovery = await page.locator('#recovery').textContent();
    // At least the messages accepted while its reconnect was held came from the history.
    expect(Number(/resumed: (\d+) missed/.exec(recovery ?? '')?.[1])).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#status').textContent()).toBe('connected');
    const nowOn = await page.evaluate(() => (window as unknown as PageState).e2e.instanceId());
    expect(nowOn).not.toBe(instanceId);
    expect(pageErrors).toEqual([]);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: RESUME_SCREENSHOT, fullPage: true });
    expect(
      await withTimeout('drained instance exit', draining.process.exited, stack.timing.stopTimeoutSeconds * 1000),
    ).toEqual({ code: 0, signal: null });
    await context.close();
  }, 60_000);
});
