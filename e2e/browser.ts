/**
 * The browser test's page and the headless Chromium that loads it.
 *
 * The page (e2e/page/) is served by nginx under /e2e/ on the same origin as /graphql. It runs the very
 * client configuration app teams get (client/recommended-client.ts), which GraphiQL does not use:
 * transpiled here at run time and joined to graphql-ws' own UMD build, so no bundler is needed.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const PAGE_DIR = join(__dirname, 'page');
const CLIENT_SOURCE = join(__dirname, '..', 'client', 'recommended-client.ts');

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** Chromium flags: no sandbox (root in a container), and nothing that reaches out to the network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export interface PageConfig {
  /** Path of the GraphQL endpoint on the page's origin, e.g. /graphql. */
  readonly graphqlPath: string;
  /** The subscription the page runs. */
  readonly subscription: { readonly query: string; readonly variables?: Record<string, unknown> };
  /** Where in each event's `data` the text (and optionally a detail line, e.g. sentAt) to show is. */
  readonly display: { readonly text: readonly string[]; readonly detail?: readonly string[] };
  /** Sent as connection_init payload (through the client's connectionParams function). */
  readonly connectionParams?: Record<string, unknown>;
}

/** graphql-ws' UMD build (global `graphqlWs`) followed by client/recommended-client.ts (global `recommendedClient`). */
export async function buildBrowserClientBundle(): Promise<string> {
  const umdPath = join(dirname(require.resolve('graphql-ws')), '..', 'umd', 'graphql-ws.js');
  const umd = await readFile(umdPath, 'utf8');
  const source = await readFile(CLIENT_SOURCE, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
    fileName: 'recommended-client.ts',
  });
  return `${umd}
;(function () {
  var module = { exports: {} };
  var exports = module.exports;
  function require(name) {
    if (name === 'graphql-ws') return globalThis.graphqlWs;
    throw new Error('browser bundle: no module ' + name);
  }
${outputText}
  globalThis.recommendedClient = module.exports;
})();
`;
}

/** Writes the page (index.html, app.js, config.js, client.js) into `dir`, which nginx serves as /e2e/. */
export async function writeBrowserPage(dir: string, config: PageConfig): Promise<void> {
  if (!config.graphqlPath.startsWith('/')) {
    throw new Error(`writeBrowserPage: 'graphqlPath' must start with / (got ${JSON.stringify(config.graphqlPath)})`);
  }
  await mkdir(dir, { recursive: true });
  await copyFile(join(PAGE_DIR, 'index.html'), join(dir, 'index.html'));
  await copyFile(join(PAGE_DIR, 'app.js'), join(dir, 'app.js'));
  await writeFile(join(dir, 'config.js'), `window.E2E_PAGE_CONFIG = ${JSON.stringify(config, null, 2)};\n`);
  await writeFile(join(dir, 'client.js'), await buildBrowserClientBundle());
}
