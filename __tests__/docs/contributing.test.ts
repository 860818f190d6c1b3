/**
 * CONTRIBUTING.md is a map of the tree: every file or folder it names in code spans must exist, and the
 * commit-message rule it states is the one commitlint enforces.
 */
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { readDoc, ROOT } from './markdown';

const text = readDoc('CONTRIBUTING.md');

/** Code spans that name a path: `constructs/`, `service/src/history/`, `timing.ts`, `.githooks`. */
function namedPaths(markdown: string): string[] {
  const spans = [...markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
  return spans.filter((s): s is string => s !== undefined && /^[\w.*/-]+$/.test(s) && /\/|\.(ts|mjs|sh|md)$/.test(s));
}

/** A bare file name (`timing.ts`) is found anywhere in the tree outside node_modules. */
function existsSomewhere(name: string, dir = ROOT): boolean {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === '.git') continue;
    if (entry.name === name) return true;
    if (entry.isDirectory() && existsSomewhere(name, path.join(dir, entry.name))) return true;
  }
  return false;
}

test('every path it names exists', () => {
  const paths = namedPaths(text).filter((p) => !p.includes('*'));
  expect(paths).toEqual(expect.arrayContaining(['constructs/', 'testkit/', 'service/src/transport/']));
  const missing = paths.filter((p) => (p.includes('/') ? !fs.existsSync(path.join(ROOT, p)) : !existsSomewhere(p)));
  expect(missing).toEqual([]);
});

/** Runs commitlint on one message with the project's config; true when it passes. */
function accepted(message: string): boolean {
  const bin = path.join(ROOT, 'node_modules/.bin/commitlint');
  return spawnSync(bin, [], { cwd: ROOT, input: message, encoding: 'utf8' }).status === 0;
}

test('commitlint enforces the commit-message rule it states', () => {
  const limit = Number(/subject of at most (\d+) characters/.exec(text)?.[1]);
  expect(limit).toBeGreaterThan(0);
  const body = '\n\nWhy the change is made.\n';
  expect(accepted('x'.repeat(limit) + body)).toBe(true);
  expect(accepted('x'.repeat(limit + 1) + body)).toBe(false);
  expect(accepted('A subject without a body\n')).toBe(false);
  expect(accepted('A subject\nglued to its body\n')).toBe(false);
});
