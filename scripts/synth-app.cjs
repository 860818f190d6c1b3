/**
 * The cdktf app (cdktf.json `app`, `npm run synth`): runs main.ts without a compile step of the user's.
 *
 * esbuild bundles the project's own TypeScript (main.ts, config/, constructs/, the container contract) into
 * one CommonJS file, with every package left to Node's require, and the file is reused until one of its
 * sources changes. A require hook (ts-node, tsx) instead sits on every module Node loads, cdktf's and the
 * AWS provider bindings' included, which costs a good part of a second or more.
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'main.ts');
const cacheDir = path.join(root, 'node_modules', '.cache', 'ws-graphql-aws');
// Per checkout: node_modules may be shared (linked) between several.
const id = crypto.createHash('sha256').update(root).digest('hex').slice(0, 12);
const bundle = path.join(cacheDir, `synth-app-${id}.cjs`);
const inputsFile = path.join(cacheDir, `synth-app-${id}.inputs.json`);

const options = {
  entryPoints: [entry],
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  // Sources in the map relative to the bundle resolve to the project's files.
  sourceRoot: root,
  outfile: bundle,
  absWorkingDir: root,
  write: false,
  metafile: true,
  logLevel: 'error',
};
/** What else decides the output: esbuild's version, these options, the TypeScript settings. */
const key = JSON.stringify({ esbuild: esbuild.version, options });
const settings = [path.join(root, 'tsconfig.json'), path.join(root, 'package.json')];

const stamp = (file) => {
  const s = fs.statSync(file);
  return `${s.size}:${s.mtimeMs}`;
};

/** True when the bundle was built with this key from sources that have not changed since. */
function upToDate() {
  try {
    const saved = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
    return saved.key === key && fs.existsSync(bundle) && Object.entries(saved.stamps).every(([f, s]) => stamp(f) === s);
  } catch {
    return false;
  }
}

/** Writes next to `file` and renames, so a synth running at the same time reads the old or the new file. */
function writeAtomically(file, contents) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, contents);
  fs.renameSync(temporary, file);
}

if (!upToDate()) {
  fs.mkdirSync(cacheDir, { recursive: true });
  const { metafile, outputFiles } = esbuild.buildSync(options);
  const inputs = [...Object.keys(metafile.inputs).map((f) => path.resolve(root, f)), ...settings];
  writeAtomically(bundle, outputFiles[0].contents);
  writeAtomically(inputsFile, JSON.stringify({ key, stamps: Object.fromEntries(inputs.map((f) => [f, stamp(f)])) }));
}

// The bundle carries a source map: NODE_OPTIONS=--enable-source-maps points stack traces into the
// TypeScript sources. Not on by default: Node then looks for a map in every module it loads (~0.3 s).
require(bundle).main();
