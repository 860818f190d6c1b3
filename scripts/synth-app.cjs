/**
 * The cdktf app (cdktf.json `app`, `npm run synth`): runs main.ts without a compile step of the user's.
 *
 * esbuild bundles the project's own TypeScript (main.ts, config/, constructs/, the container contract) into
 * one CommonJS file that is reused until one of its sources changes (cached-bundle.cjs). A require hook
 * (ts-node, tsx) instead sits on every module Node loads, cdktf's and the AWS provider bindings' included,
 * which costs a good part of a second or more.
 */
'use strict';
const path = require('node:path');
const { cachedBundle } = require('./cached-bundle.cjs');

const root = path.resolve(__dirname, '..');
const bundle = cachedBundle({
  root,
  entry: path.join(root, 'main.ts'),
  name: 'synth-app',
  settings: [path.join(root, 'tsconfig.json'), path.join(root, 'package.json')],
});
require(bundle).main();
