/**
 * GraphiQL for development, rendered by @graphql-yoga/render-graphiql: its JavaScript, CSS and editor
 * workers are inlined in the page, so it works offline, behind a proxy that blocks CDNs and under a
 * Content-Security-Policy without third-party origins. (Yoga's built-in page loads them from unpkg.com.)
 *
 * The package is ~9 MB of script (~30 MB of heap once loaded): it is required on the first GraphiQL
 * request, so production (GraphiQL off) never loads it, and the page is rendered once per options.
 */
import type { GraphiQLOptions } from 'graphql-yoga';
import type * as RenderGraphiQL from '@graphql-yoga/render-graphiql';

let rendered: { readonly key: string; readonly page: string } | undefined;

export function renderBundledGraphiQL(options: GraphiQLOptions): string {
  const key = JSON.stringify(options);
  if (rendered?.key !== key) {
    // A lazy require, not an import: see above. (A dynamic import() would also need ESM support in jest.)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { renderGraphiQL } = require('@graphql-yoga/render-graphiql') as typeof RenderGraphiQL;
    rendered = { key, page: renderGraphiQL(options) };
  }
  return rendered.page;
}
