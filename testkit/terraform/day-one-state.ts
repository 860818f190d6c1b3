/**
 * The state a first apply leaves, built offline for "second day" plans.
 *
 * A mock provider applies exactly what it is given: attributes the real provider would fill with its
 * defaults (`aws_subnet.ipv6_native = false`, `aws_iam_role.path = "/"`) stay null in the mock's state, and
 * the real provider then sees null -> default as a change that forces replacement. So the real provider
 * plans the first apply, and its planned values are handed to the mock apply: configurable attributes as
 * explicit settings in a copy of the stack, computed ones (known at plan time) as `override_resource`
 * values. Values only AWS knows stay the mock's. See docs/offline-plan.md.
 */
import { type StackJson } from '../../tools/terraform/stack-json';
import { type RunBlock } from '../../tools/terraform/test-file';
import {
  type Diagnostic,
  formatDiagnostics,
  type OfflineWorkspace,
  type PlanJson,
} from '../../tools/terraform/workspace';

/** A block of a provider schema (`terraform providers schema -json`). */
export interface SchemaBlock {
  readonly attributes?: Readonly<
    Record<string, { readonly optional?: boolean; readonly required?: boolean; readonly computed?: boolean }>
  >;
  readonly block_types?: Readonly<Record<string, { readonly nesting_mode: string; readonly block: SchemaBlock }>>;
}

/**
 * Resource schemas of hashicorp/aws, by type, from a plan of `terraform test -verbose`: it carries the
 * provider's schemas, so no `terraform providers schema` (another provider start) is needed.
 */
export function awsResourceSchemas(plan: PlanJson): Record<string, SchemaBlock> {
  const schemas = (plan.provider_schemas ?? {}) as Record<
    string,
    { resource_schemas?: Record<string, { block: SchemaBlock }> }
  >;
  const aws = Object.entries(schemas).find(([source]) => source.endsWith('hashicorp/aws'))?.[1]?.resource_schemas;
  if (!aws) throw new Error('the plan carries no hashicorp/aws schema (a plan of `terraform test -json -verbose`)');
  return Object.fromEntries(Object.entries(aws).map(([type, s]) => [type, s.block]));
}

/** A mock-apply override: computed values of one resource (all its instances). */
export interface ResourceOverride {
  /** `aws_lb.Service_LoadBalancer_D381012F` */
  readonly target: string;
  readonly values: StackJson;
}

type Json = unknown;

const isZero = (v: Json) =>
  v === false ||
  v === 0 ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (isObject(v) && Object.keys(v).length === 0);

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when no part of the value is unknown (`after_unknown` is false or absent all the way down). */
function fullyKnown(unknown: Json): boolean {
  if (unknown === true) return false;
  if (Array.isArray(unknown)) return unknown.every(fullyKnown);
  if (isObject(unknown)) return Object.values(unknown).every(fullyKnown);
  return true;
}

/**
 * The configurable planned values of one block that its configuration leaves out, merged into it, and its
 * computed-only planned values. Nested blocks are merged element by element where the configuration has
 * them, and written out (configurable parts only) where it does not.
 */
function splitPlanned(
  schema: SchemaBlock,
  after: Record<string, Json>,
  unknown: Record<string, Json>,
  config: Record<string, Json>,
): { config: Record<string, Json>; computed: Record<string, Json> } {
  const merged: Record<string, Json> = { ...config };
  const computed: Record<string, Json> = {};
  for (const [name, attribute] of Object.entries(schema.attributes ?? {})) {
    const value = after[name];
    if (value === null || value === undefined || !fullyKnown(unknown[name])) continue;
    if (attribute.optional || attribute.required) {
      // Zero values stay out: the SDK's state does not tell them from null, and `self = false` set
      // explicitly conflicts with `cidr_blocks` where null does not.
      if (merged[name] === undefined && !isZero(value)) merged[name] = value;
    } else {
      computed[name] = value;
    }
  }
  for (const [name, blockType] of Object.entries(schema.block_types ?? {})) {
    const planned = after[name];
    const elements = Array.isArray(planned) ? planned : isObject(planned) ? [planned] : [];
    if (elements.length === 0) continue;
    const unknowns = unknown[name];
    const unknownAt = (i: number): Record<string, Json> => {
      const u = Array.isArray(unknowns) ? unknowns[i] : unknowns;
      return isObject(u) ? u : {};
    };
    const given = merged[name];
    const givenElements = Array.isArray(given) ? given : isObject(given) ? [given] : given === undefined ? [] : null;
    // An expression (dynamic value) or a different count: leave the configuration as it is.
    if (givenElements === null || (givenElements.length > 0 && givenElements.length !== elements.length)) continue;
    const out = elements.map(
      (element, i) =>
        splitPlanned(
          blockType.block,
          isObject(element) ? element : {},
          unknownAt(i),
          isObject(givenElements[i]) ? givenElements[i] : {},
        ).config,
    );
    merged[name] = isObject(given) || (given === undefined && blockType.nesting_mode === 'single') ? out[0] : out;
  }
  return { config: merged, computed };
}

const same = (a: Json, b: Json) => JSON.stringify(a) === JSON.stringify(b);

/** The entries every record has with the same value. */
function common(records: readonly Record<string, Json>[]): Record<string, Json> {
  const [first, ...rest] = records;
  return Object.fromEntries(Object.entries(first ?? {}).filter(([k, v]) => rest.every((r) => same(r[k], v))));
}

/**
 * The stack with the real plan's configurable values written out, and overrides with its computed values,
 * for a mock apply that leaves the state a real first apply would (up to values only AWS knows).
 * Resources with several instances (`for_each`, `count`) get the values all instances share.
 */
export function dayOneState(
  stack: StackJson,
  plan: PlanJson,
  schemas: Readonly<Record<string, SchemaBlock>>,
  /** Attributes not to write out, by resource address (validation refused them). */
  leaveOut: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): { stack: StackJson; overrides: ResourceOverride[] } {
  const copy = structuredClone(stack);
  const byResource = new Map<string, Array<{ config: Record<string, Json>; computed: Record<string, Json> }>>();
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode !== 'managed' || rc.module_address !== undefined) continue;
    const schema = schemas[rc.type];
    const body = copy.resource?.[rc.type]?.[rc.name] as Record<string, Json> | undefined;
    const after = rc.change.after as Record<string, Json> | null | undefined;
    if (!schema || !body || !isObject(after)) continue;
    const unknown = isObject(rc.change.after_unknown) ? rc.change.after_unknown : {};
    const key = `${rc.type}.${rc.name}`;
    byResource.set(key, [...(byResource.get(key) ?? []), splitPlanned(schema, after, unknown, body)]);
  }
  const overrides: ResourceOverride[] = [];
  for (const [target, instances] of byResource) {
    const [type, name] = target.split('.');
    const body = copy.resource[type][name] as Record<string, Json>;
    // The configuration with the planned values added, where every instance plans the same.
    const added = Object.entries(common(instances.map((i) => i.config)));
    Object.assign(
      body,
      Object.fromEntries(added.filter(([k]) => body[k] !== undefined || !leaveOut.get(target)?.has(k))),
    );
    const computed = common(instances.map((i) => i.computed));
    if (Object.keys(computed).length > 0) overrides.push({ target, values: computed });
  }
  return { stack: copy, overrides };
}

/**
 * dayOneState written to `stacks/<name>` of the workspace without validating it first: for the mock apply,
 * which validates it anyway. Where that apply fails, validatedDayOneState builds a stack that validates.
 * Returns its module path too.
 */
export function writeDayOneState(
  workspace: OfflineWorkspace,
  name: string,
  stack: StackJson,
  plan: PlanJson,
  schemas: Readonly<Record<string, SchemaBlock>>,
): { module: string; stack: StackJson; overrides: ResourceOverride[] } {
  const state = dayOneState(stack, plan, schemas);
  return { module: workspace.addStack(name, state.stack), ...state };
}

/**
 * dayOneState, validated by the provider: a default written out can conflict with a setting (the provider
 * refuses `self = false` beside `cidr_blocks` in aws_security_group_rule, although it plans that value), so
 * attributes that validation names are left out again, until the stack validates. The stack is written to
 * `stacks/<name>` of the workspace; returns its module path too.
 */
export async function validatedDayOneState(
  workspace: OfflineWorkspace,
  name: string,
  stack: StackJson,
  plan: PlanJson,
  schemas: Readonly<Record<string, SchemaBlock>>,
): Promise<{ module: string; stack: StackJson; overrides: ResourceOverride[] }> {
  const leaveOut = new Map<string, Set<string>>();
  for (let attempt = 0; attempt < 4; attempt++) {
    const state = dayOneState(stack, plan, schemas, leaveOut);
    const module = workspace.addStack(name, state.stack);
    if (attempt === 0) await workspace.init(module);
    const result = await workspace.run(['validate', '-json', '-no-color'], { cwd: module });
    const diagnostics = (JSON.parse(result.stdout) as { diagnostics: Diagnostic[] }).diagnostics.filter(
      (d) => d.severity === 'error',
    );
    if (diagnostics.length === 0) return { module, ...state };
    let progress = false;
    for (const d of diagnostics) {
      const [type, resource] = (d.address ?? '').split('.');
      const original = stack.resource?.[type]?.[resource] as Record<string, unknown> | undefined;
      if (!original) continue;
      // "\"self\": conflicts with cidr_blocks": every attribute named that this function added.
      for (const [, attribute] of `${d.summary} ${d.detail}`.matchAll(/"?\b([a-z][a-z0-9_]*)\b"?/g)) {
        if (original[attribute] !== undefined || !(attribute in state.stack.resource[type][resource])) continue;
        const set = leaveOut.get(d.address!) ?? new Set<string>();
        if (!set.has(attribute)) progress = true;
        leaveOut.set(d.address!, set.add(attribute));
      }
    }
    if (!progress)
      throw new Error(`the day-one state of ${name} does not validate:\n${formatDiagnostics(diagnostics)}`);
  }
  throw new Error(`the day-one state of ${name} still does not validate after leaving attributes out`);
}

/**
 * The run block of the first apply: a mock apply of the day-one state (written, or validated first when
 * `validate`) into `stateKey` `live`, which the day-two plans after it share.
 */
export async function firstApplyRun(
  workspace: OfflineWorkspace,
  name: string,
  stack: StackJson,
  plan: PlanJson,
  schemas: Readonly<Record<string, SchemaBlock>>,
  options: { readonly validate: boolean; readonly variables?: Readonly<Record<string, unknown>> },
): Promise<RunBlock> {
  const state = options.validate
    ? await validatedDayOneState(workspace, name, stack, plan, schemas)
    : writeDayOneState(workspace, name, stack, plan, schemas);
  return {
    name: 'first_apply',
    command: 'apply',
    provider: 'mock',
    module: state.module,
    stack: state.stack,
    stateKey: 'live',
    ...(options.variables !== undefined ? { variables: options.variables } : {}),
    overrideResources: state.overrides,
  };
}
