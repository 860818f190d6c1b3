/**
 * Scenario 6: a real browser. Headless Chromium (Debian's package, driven by playwright-core with its
 * executablePath; playwright never downloads a browser here) loads a page from the proxy's https origin,
 * subscribes over wss:// through the proxy with the recommended client, and shows a message that another
 * client (this test, over https) posted. The screenshot is saved to e2e/artifacts/.
 *
 * The page is our own (e2e/page/), not GraphiQL: Yoga's GraphiQL loads its assets from a CDN that this
 * machine cannot reach.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/browser';
import { MESSAGE_POSTED, startStack, type Stack } from '../../e2e/stack';
import { waitFor } from '../../testkit/wait';

const ARTIFACTS = join(__dirname, '..', '..', 'e2e', 'artifacts');
const SCREENSHOT = join(ARTIFACTS, 'browser-subscription.png');
const ROOM = 'browser';

describe('scenario 6: a real browser subscribes through the proxy', () => {
  let stack: Stack;
  let browser: Browser | undefined;
  beforeAll(async () => {
    stack = await startStack({
      page: {
        graphqlPath: '/graphql',
        subscription: { query: MESSAGE_POSTED, variables: { room: ROOM } },
        display: { text: ['messagePosted', 'text'], detail: ['messagePosted', 'sentAt'] },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows a message posted by another client, and saves a screenshot', async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], timeout: 20_000 });
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
});
