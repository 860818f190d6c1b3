/**
 * One TypeScript entry point bundled by esbuild into one CommonJS file, with every package left to Node's
 * require, and reused until one of its sources, a settings file, esbuild's version or the options change.
 * The cdktf app launcher (synth-app.cjs) runs main.ts this way, and the test kit runs the service this way:
 * a require hook (ts-node, tsx) instead sits on every module Node loads and compiles each source on every
 * start, which costs a second or more of CPU per process.
 *
 * The bundle carries an inline source map: NODE_OPTIONS=--enable-source-maps points stack traces into the
 * TypeScript sources. Not on by default: Node then looks for a map in every module it loads (~0.3 s).
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const stamp = (file) => {
  const s = fs.statSync(file);
  return `${s.size}:${s.mtimeMs}`;
};

/** Writes next to `file` and renames, so a process starting at the same time reads the old or the new file. */
function writeAtomically(file, contents) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, contents);
  fs.renameSync(temporary, file);
}

/**
 * The path of the bundle of `entry` (absolute), built first if missing or stale.
 * @param {{ root: string, entry: string, name: string, settings: string[] }} options `root`: the project
 *   (the cache is its node_modules/.cache); `name`: the bundle's file name prefix; `settings`: files that
 *   decide the output besides the sources esbuild reads (tsconfig.json, package.json).
 * @returns {string}
 */
function cachedBundle({ root, entry, name, settings }) {
  const cacheDir = path.join(root, 'node_modules', '.cache', 'ws-graphql-aws');
  // Per checkout: node_modules may be shared (linked) between several.
  const id = crypto.createHash('sha256').update(root).digest('hex').slice(0, 12);
  const bundle = path.join(cacheDir, `${name}-${id}.cjs`);
  const inputsFile = path.join(cacheDir, `${name}-${id}.inputs.json`);
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
  const key = JSON.stringify({ esbuild: esbuild.version, options });

  const upToDate = () => {
    try {
      const saved = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
      return (
        saved.key === key && fs.existsSync(bundle) && Object.entries(saved.stamps).every(([f, s]) => stamp(f) === s)
      );
    } catch {
      return false;
    }
  };

  if (!upToDate()) {
    fs.mkdirSync(cacheDir, { recursive: true });
    const { metafile, outputFiles } = esbuild.buildSync(options);
    const inputs = [...Object.keys(metafile.inputs).map((f) => path.resolve(root, f)), ...settings];
    writeAtomically(bundle, outputFiles[0].contents);
    writeAtomically(inputsFile, JSON.stringify({ key, stamps: Object.fromEntries(inputs.map((f) => [f, stamp(f)])) }));
  }
  return bundle;
}

module.exports = { cachedBundle };
