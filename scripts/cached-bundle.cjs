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

/** This file: a change to how bundles are made invalidates them. */
const SELF = crypto.createHash('sha256').update(fs.readFileSync(__filename)).digest('hex');
/** File times lag the clock by up to a tick of the kernel's coarse clock (a few ms). */
const MTIME_SLACK_MS = 50;

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
    outfile: bundle,
    absWorkingDir: root,
    write: false,
    metafile: true,
    logLevel: 'error',
  };
  const key = JSON.stringify({ esbuild: esbuild.version, options, bundler: SELF });

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

  for (let attempt = 1; !upToDate(); attempt++) {
    fs.mkdirSync(cacheDir, { recursive: true });
    const started = Date.now();
    const { metafile, outputFiles } = esbuild.buildSync(options);
    const inputs = [...Object.keys(metafile.inputs).map((f) => path.resolve(root, f)), ...settings];
    // A source saved while esbuild read it would be stamped as bundled: build again instead. Another process
    // building at the same time then writes the same bytes, never an older build over a newer one.
    const changed = inputs.some((f) => fs.statSync(f).mtimeMs >= started - MTIME_SLACK_MS);
    if (changed && attempt < 3) continue;
    writeAtomically(bundle, outputFiles[0].contents);
    if (changed) break; // still changing: this build is used, and the next call builds again
    writeAtomically(inputsFile, JSON.stringify({ key, stamps: Object.fromEntries(inputs.map((f) => [f, stamp(f)])) }));
  }
  return bundle;
}

module.exports = { cachedBundle };
