/**
 * One view of a Terraform configuration for the policy rules, whether it comes from a synthesized
 * `cdk.tf.json` (Terraform JSON syntax) or from `terraform show -json` of a saved plan.
 *
 * Values are as written: a nested block may be one object or a list of objects (JSON syntax allows both,
 * a plan always has lists), booleans and numbers may be strings. The helpers below read them either way.
 */
import { resolveLocals } from '../locals';

/** A managed resource or a data source. */
export interface TfResource {
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  /** `aws_lb.Service_LoadBalancer_D381012F` (data sources: `data.aws_x.name`). */
  readonly address: string;
  /** Known attribute values. An attribute missing here is unset or, in a plan, unknown until apply. */
  readonly values: Readonly<Record<string, unknown>>;
  /** The cdktf construct path without the stack (`Service/LoadBalancer/LoadBalancer`), when known. */
  readonly constructPath?: string;
  /** In a plan: attribute names whose value is unknown until apply. */
  readonly unknown: ReadonlySet<string>;
  /** Addresses of the resources that attribute `name` refers to. */
  readonly refs: (name: string) => string[];
}

export interface TfModel {
  /** `config` for cdk.tf.json, `plan` for a plan JSON. */
  readonly source: 'config' | 'plan';
  readonly resources: readonly TfResource[];
  /** The file the model was read from, as given (used in SARIF locations). */
  readonly file: string;
  /** 1-based line of each resource's key in the file, when the file is a pretty-printed cdk.tf.json. */
  readonly lines: ReadonlyMap<string, number>;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A nested block (object or list of objects) as a list. */
export function blocks(value: unknown): Json[] {
  if (Array.isArray(value)) return value.filter(isObject);
  return isObject(value) ? [value] : [];
}

/** true / "true" → true, false / "false" → false, else undefined. */
export function bool(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/** 41 / "41" → 41, else undefined (references and other strings are not numbers). */
export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

// A reference inside a template: `aws_x.name`, `data.aws_x.name` (attribute and index parts are dropped).
const REFERENCE = /\b(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)/g;

/** Resource addresses referenced by `${...}` templates anywhere inside `value`. */
export function templateRefs(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    for (const [, inner] of value.matchAll(/\$\{([^}]*)\}/g)) {
      for (const m of (inner ?? '').matchAll(REFERENCE)) {
        const [, data, type, name] = m;
        if (type === 'var' || type === 'local' || type === 'each' || type === 'count' || type === 'self') continue;
        out.add(`${data ?? ''}${type}.${name}`);
      }
    }
  } else if (Array.isArray(value)) {
    for (const v of value) templateRefs(v, out);
  } else if (isObject(value)) {
    for (const v of Object.values(value)) templateRefs(v, out);
  }
  return out;
}

function stripStack(path: unknown): string | undefined {
  if (typeof path !== 'string') return undefined;
  const slash = path.indexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}

/** Reads a synthesized `cdk.tf.json`. `text` is the file's text (for line numbers). */
export function modelFromConfig(doc: unknown, file: string, text = ''): TfModel {
  if (!isObject(doc)) throw new Error(`${file}: not a Terraform JSON configuration (expected an object)`);
  const resources: TfResource[] = [];
  const lines = new Map<string, number>();
  const textLines = text.split('\n');
  const lineOf = (name: string): number | undefined => {
    const i = textLines.findIndex((l) => l.trimStart().startsWith(`"${name}": {`));
    return i < 0 ? undefined : i + 1;
  };
  for (const mode of ['managed', 'data'] as const) {
    const section = doc[mode === 'managed' ? 'resource' : 'data'];
    if (section === undefined) continue;
    if (!isObject(section)) throw new Error(`${file}: "${mode === 'managed' ? 'resource' : 'data'}" must be an object`);
    for (const [type, byName] of Object.entries(section)) {
      if (!isObject(byName)) throw new Error(`${file}: resource type "${type}" must map names to bodies`);
      for (const [name, body] of Object.entries(byName)) {
        if (!isObject(body)) throw new Error(`${file}: ${type}.${name} must be an object`);
        const address = `${mode === 'data' ? 'data.' : ''}${type}.${name}`;
        const metadata = isObject(body['//']) && isObject(body['//'].metadata) ? body['//'].metadata : {};
        const constructPath = stripStack(metadata.path);
        const line = lineOf(name);
        if (line !== undefined) lines.set(address, line);
        resources.push({
          mode,
          type,
          name,
          address,
          values: withLocalsResolved(body, doc.locals),
          ...(constructPath === undefined ? {} : { constructPath }),
          unknown: new Set(),
          refs: (attr) => [...templateRefs(body[attr])],
        });
      }
    }
  }
  return { source: 'config', resources, file, lines };
}

interface PlanModule {
  resources?: Json[];
  child_modules?: PlanModule[];
}

function collectReferences(expr: unknown, out: Set<string>): void {
  if (Array.isArray(expr)) {
    for (const e of expr) collectReferences(e, out);
  } else if (isObject(expr)) {
    if (Array.isArray(expr.references)) {
      for (const r of strings(expr.references)) {
        // "aws_lb.x.arn" and "aws_lb.x" are both listed; keep the resource address.
        const parts = r.split('.');
        const address = parts[0] === 'data' ? parts.slice(0, 3).join('.') : parts.slice(0, 2).join('.');
        if (!/^(var|local|each|count|self|module|path|terraform)\b/.test(address)) out.add(address);
      }
    }
    for (const [k, v] of Object.entries(expr)) if (k !== 'references') collectReferences(v, out);
  }
}

/** Reads `terraform show -json <planfile>`: planned values, with references from the configuration. */
export function modelFromPlan(doc: unknown, file: string): TfModel {
  if (isObject(doc) && !isObject(doc.planned_values) && Array.isArray(doc.resource_changes)) {
    throw new Error(
      `${file}: a plan with resource changes only, as \`terraform test\` reports one (\`npm run plan -- --offline\` ` +
        'writes such a plan.json): the policy needs the planned values and the configuration of ' +
        '"terraform show -json <planfile>"',
    );
  }
  if (!isObject(doc) || !isObject(doc.planned_values)) {
    throw new Error(`${file}: not a plan (expected the output of "terraform show -json <planfile>")`);
  }
  const expressions = new Map<string, Json>();
  const walkConfig = (module: unknown, prefix: string): void => {
    if (!isObject(module)) return;
    for (const r of blocks(module.resources)) {
      if (typeof r.address === 'string' && isObject(r.expressions)) expressions.set(prefix + r.address, r.expressions);
    }
    if (isObject(module.module_calls)) {
      for (const [name, call] of Object.entries(module.module_calls)) {
        if (isObject(call)) walkConfig(call.module, `${prefix}module.${name}.`);
      }
    }
  };
  walkConfig(isObject(doc.configuration) ? doc.configuration.root_module : undefined, '');

  const unknownByAddress = new Map<string, Set<string>>();
  for (const change of blocks(doc.resource_changes)) {
    const after = isObject(change.change) ? change.change.after_unknown : undefined;
    if (typeof change.address === 'string' && isObject(after)) {
      unknownByAddress.set(change.address, new Set(Object.keys(after).filter((k) => after[k] === true)));
    }
  }

  const resources: TfResource[] = [];
  const walk = (module: PlanModule | undefined): void => {
    for (const r of module?.resources ?? []) {
      const address = String(r.address);
      // Configuration addresses have no instance keys: aws_x.y[0] → aws_x.y.
      const expr = expressions.get(address.replace(/\[[^\]]*\]/g, '')) ?? {};
      resources.push({
        mode: r.mode === 'data' ? 'data' : 'managed',
        type: String(r.type),
        name: String(r.name),
        address,
        values: isObject(r.values) ? r.values : {},
        unknown: unknownByAddress.get(address) ?? new Set(),
        refs: (attr) => {
          const out = new Set<string>();
          collectReferences(expr[attr], out);
          return [...out];
        },
      });
    }
    for (const child of module?.child_modules ?? []) walk(child);
  };
  walk(doc.planned_values.root_module as PlanModule | undefined);
  return { source: 'plan', resources, file, lines: new Map() };
}

/** Resources of one type. */
export function ofType(model: TfModel, ...types: string[]): TfResource[] {
  return model.resources.filter((r) => r.mode === 'managed' && types.includes(r.type));
}

/** The resource at `address`, if the model has it. */
export function byAddress(model: TfModel, address: string): TfResource | undefined {
  return model.resources.find((r) => r.address === address);
}

/**
 * The body with `${local.x.y}` references resolved in its string attributes, as the plan would show them
 * (container_definitions reads its timing from a local). Attributes naming an unknown local stay as written.
 */
function withLocalsResolved(body: Json, locals: unknown): Json {
  if (!isObject(locals)) return body;
  const resolved: Json = { ...body };
  for (const [key, value] of Object.entries(body)) {
    if (typeof value !== 'string' || !value.includes('${local.')) continue;
    try {
      resolved[key] = resolveLocals(value, locals);
    } catch {
      // Left as written: a rule that needs the value reports it as unknown.
    }
  }
  return resolved;
}
