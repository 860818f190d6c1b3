// Compares two cdktf.out directories stack by stack: identical apart from the provider version pins and the
// toolkit version in the "//" metadata. A provider source is compared as Terraform resolves it ("aws" and
// "hashicorp/aws" are both registry.terraform.io/hashicorp/aws). Prints what differs; exit 1 on any other
// difference.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const assert = require('node:assert');

const [a, b] = process.argv.slice(2);
const stacks = (dir) => fs.readdirSync(path.join(dir, 'stacks')).sort();
const load = (dir, stack) => JSON.parse(fs.readFileSync(path.join(dir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));

function strip(doc) {
  const pins = {};
  for (const [name, req] of Object.entries(doc.terraform?.required_providers ?? {})) {
    const source = String(req.source ?? name).replace(/^registry\.terraform\.io\//, '');
    req.source = source.includes('/') ? source : `hashicorp/${source}`;
    pins[name] = `${req.source} ${req.version}`;
    delete req.version;
  }
  const toolkit = doc['//']?.metadata?.version;
  if (doc['//']?.metadata) delete doc['//'].metadata.version;
  return { pins, toolkit };
}

let failed = false;
if (JSON.stringify(stacks(a)) !== JSON.stringify(stacks(b))) {
  console.error(`stacks differ: ${stacks(a)} vs ${stacks(b)}`);
  process.exit(1);
}
for (const stack of stacks(a)) {
  const [x, y] = [load(a, stack), load(b, stack)];
  const [sx, sy] = [strip(x), strip(y)];
  try {
    assert.deepStrictEqual(y, x);
    console.log(
      `${stack}: identical apart from the provider pin (cdktf ${sx.toolkit}: ${sx.pins.aws}; cdktn ${sy.toolkit}: ${sy.pins.aws})`,
    );
  } catch (error) {
    failed = true;
    console.error(`${stack}: differs beyond the provider pin:\n${error.message}`);
  }
}
process.exit(failed ? 1 : 0);
