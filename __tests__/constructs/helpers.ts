/**
 * Shared test helpers for the construct specs: synthesize a scope once, read resources out of the JSON,
 * and build the `${type.id.attr}` reference strings Terraform sees.
 */
import 'cdktf/lib/testing/adapters/jest'; // typings of toHaveResourceWithProperties & co.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type App, TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { resolveLocals } from '../../tools/locals';

// Testing.app() and synthScope make a new temp dir per call and never remove it; one dir per spec file, removed.
let outdir: string | undefined;
afterAll(() => {
  if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  outdir = undefined;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Synthesized {
  /** As returned by Testing.synthScope: what the cdktf matchers take. */
  readonly raw: string;
  readonly json: Json;
}

/** Testing.app() without its temp dir leak: the spec file's one outdir, removed after the file. */
export function testApp(): App {
  outdir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'construct-test-'));
  return Testing.app({ outdir });
}

/** Same as Testing.synthScope (a fresh stack, metadata stripped, keys sorted), without the temp dir leak. */
export function synth(build: (scope: Construct) => void): Synthesized {
  const stack = new TerraformStack(testApp(), 'stack');
  build(stack);
  const raw = Testing.synth(stack);
  return { raw, json: JSON.parse(raw) };
}

/** All resources (or data sources) of one type, keyed by logical id, without cdktf's metadata. */
export function all(json: Json, type: string, kind: 'resource' | 'data' = 'resource'): Record<string, Json> {
  const entries = Object.entries((json[kind] ?? {})[type] ?? {}) as Array<[string, Json]>;
  return Object.fromEntries(entries.map(([id, body]) => [id, withoutMetadata(body)]));
}

/** The single resource of a type; fails the test when there is not exactly one. */
export function only(json: Json, type: string, kind: 'resource' | 'data' = 'resource'): Json {
  const found = Object.values(all(json, type, kind));
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0];
}

/** `${type.<logical id>.<attribute>}` of the single resource of a type whose id contains `idPart`. */
export function ref(
  json: Json,
  type: string,
  attribute: string,
  idPart = '',
  kind: 'resource' | 'data' = 'resource',
): string {
  const ids = Object.keys(all(json, type, kind)).filter((id) => id.includes(idPart));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} with id containing "${idPart}", found ${ids.join(', ') || 'none'}`);
  return `\${${kind === 'data' ? 'data.' : ''}${type}.${ids[0]}.${attribute}}`;
}

function withoutMetadata(body: Json): Json {
  const { ['//']: _metadata, ...rest } = body;
  return rest;
}

/**
 * Parsed container definitions of the single task definition, with references to the stack's locals
 * (`${local.<name>.<attribute>}`) replaced by their values, as Terraform resolves them.
 */
export function containerDefinitions(json: Json): Json[] {
  const text = only(json, 'aws_ecs_task_definition').container_definitions as string;
  return JSON.parse(resolveLocals(text, json.locals));
}

/** The container's environment as a name -> value map. */
export function containerEnvironment(json: Json): Record<string, string> {
  const [container] = containerDefinitions(json);
  return Object.fromEntries(
    (container.environment as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]),
  );
}

/** The container's secrets as a name -> valueFrom map. */
export function containerSecrets(json: Json): Record<string, string> {
  const [container] = containerDefinitions(json);
  return Object.fromEntries(
    (container.secrets as Array<{ name: string; valueFrom: string }>).map((e) => [e.name, e.valueFrom]),
  );
}

/**
 * Every `aws_vpc_security_group_ingress_rule` and `_egress_rule`, each with `direction` added. Fails the test
 * when a legacy `aws_security_group_rule` is present: its CIDR list is one resource, so editing one CIDR
 * replaces the rule for every CIDR in it.
 */
export function securityGroupRules(json: Json): Json[] {
  const legacy = Object.keys(all(json, 'aws_security_group_rule'));
  if (legacy.length > 0) throw new Error(`aws_security_group_rule is not used, found ${legacy.join(', ')}`);
  return [
    ...Object.values(all(json, 'aws_vpc_security_group_ingress_rule')).map((r) => ({ direction: 'ingress', ...r })),
    ...Object.values(all(json, 'aws_vpc_security_group_egress_rule')).map((r) => ({ direction: 'egress', ...r })),
  ];
}
