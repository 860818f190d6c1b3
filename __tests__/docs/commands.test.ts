/**
 * Every command the docs tell users to run must exist: each `npm run <script>` (in the root package, or in
 * the workspace named with -w) and each path given to `npx jest` or `node -r ts-node/...`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allDocs, readDoc, ROOT } from './markdown';

const scriptsOf = (dir: string): Record<string, string> =>
  JSON.parse(fs.readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')).scripts ?? {};

/** `npm run <name>` with its optional `-w <workspace>`, wherever it appears (code blocks or prose). */
function npmRuns(markdown: string): { script: string; workspace: string | undefined }[] {
  return [...markdown.matchAll(/\bnpm run ([\w:-]+)((?: -w [\w/-]+)?)/g)].map((m) => ({
    script: m[1],
    workspace: m[2] ? m[2].replace(' -w ', '') : undefined,
  }));
}

/** Paths after `npx jest` or `node -r ts-node/register/transpile-only`. */
function runnablePaths(markdown: string): string[] {
  const out: string[] = [];
  for (const m of markdown.matchAll(/\b(?:npx jest|node -r ts-node\/register\/transpile-only)((?: [\w./-]+)+)/g)) {
    out.push(
      ...m[1]
        .trim()
        .split(' ')
        .filter((p) => p.includes('/') || p.endsWith('.ts')),
    );
  }
  return out;
}

const docs = allDocs();

describe.each(docs)('%s', (file) => {
  const text = readDoc(file);

  test('every `npm run` script it names exists', () => {
    const missing = npmRuns(text)
      .filter(({ script, workspace }) => !(script in scriptsOf(workspace ?? '.')))
      .map(({ script, workspace }) => `npm run ${script}${workspace ? ` -w ${workspace}` : ''}`);
    expect(missing).toEqual([]);
  });

  test('every file it tells jest or node to run exists', () => {
    expect(runnablePaths(text).filter((p) => !fs.existsSync(path.join(ROOT, p)))).toEqual([]);
  });
});

test('the scanner finds the commands (a doc without them would pass vacuously)', () => {
  expect(npmRuns('npm run synth && npm run build -w service')).toEqual([
    { script: 'synth', workspace: undefined },
    { script: 'build', workspace: 'service' },
  ]);
  expect(runnablePaths('npx jest __tests__/e2e/x.test.ts  # one')).toEqual(['__tests__/e2e/x.test.ts']);
  expect(docs.flatMap((f) => npmRuns(readDoc(f))).map((r) => r.script)).toEqual(
    expect.arrayContaining(['synth', 'setup', 'service', 'e2e', 'bench']),
  );
});
