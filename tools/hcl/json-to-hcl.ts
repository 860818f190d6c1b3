/**
 * Terraform JSON configuration (https://developer.hashicorp.com/terraform/language/syntax/json) to HCL
 * native syntax, formatted as `terraform fmt` formats it.
 *
 * In JSON an object is either a nested block or an attribute value (a map or object); only the provider
 * schema tells which. `BlockSchema` lists the nested block names of each resource, data source and
 * provider type (tools/hcl/aws-blocks.json, generated from `terraform providers schema -json`). A type the
 * schema does not list is an error rather than a guess.
 */
import { literalString, referenceExpression, templateExpression } from './template';

/** Nested block names, recursively: `{ default_action: { redirect: {}, forward: { target_group: {} } } }`. */
export interface BlockTree {
  readonly [block: string]: BlockTree;
}

export interface BlockSchema {
  readonly provider: Readonly<Record<string, BlockTree>>;
  readonly resource: Readonly<Record<string, BlockTree>>;
  readonly data: Readonly<Record<string, BlockTree>>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One item of a body: an attribute (its value may span lines), a nested block, or a comment line. */
type Item =
  { kind: 'attr'; key: string; value: string[] } | { kind: 'block'; header: string; body: Item[]; comment?: string };

const INDENT = '  ';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Longest single-line list before it is written one element per line. */
const MAX_INLINE = 100;

/** How the strings of a value are read: as templates (most), literally, or as references. */
type StringMode = 'template' | 'literal' | 'reference';

function scalar(v: Json, mode: StringMode): string | undefined {
  if (v === null) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    if (mode === 'literal') return literalString(v);
    if (mode === 'reference') return referenceExpression(v);
    return templateExpression(v);
  }
  return undefined;
}

function objectKey(key: string): string {
  if (key.includes('${') || key.includes('%{')) throw new Error(`object key ${JSON.stringify(key)} is a template`);
  return IDENTIFIER.test(key) ? key : literalString(key);
}

/** A value as HCL lines (the first line goes after `key = `; the rest are indented by the caller's body). */
function value(v: Json, mode: StringMode): string[] {
  const s = scalar(v, mode);
  if (s !== undefined) return [s];
  if (Array.isArray(v)) {
    if (v.length === 0) return ['[]'];
    const items = v.map((e) => value(e, mode));
    const inline = `[${items.map((l) => l[0]).join(', ')}]`;
    if (items.every((l) => l.length === 1) && inline.length <= MAX_INLINE) return [inline];
    const lines = ['['];
    for (const l of items) {
      l.forEach((line, i) => lines.push(`${INDENT}${line}${i === l.length - 1 ? ',' : ''}`));
    }
    lines.push(']');
    return lines;
  }
  const entries = Object.entries(v as JsonObject).filter(([k]) => k !== '//');
  if (entries.length === 0) return ['{}'];
  return [
    '{',
    ...render(entries.map(([k, e]) => ({ kind: 'attr', key: objectKey(k), value: value(e, mode) }))).map((l) =>
      l === '' ? l : INDENT + l,
    ),
    '}',
  ];
}

/**
 * Renders a body as `terraform fmt` would: the `=` of consecutive one-line attributes aligned (a multi-line
 * value or a block ends the run), a blank line between attributes and blocks and between blocks.
 */
function render(items: Item[]): string[] {
  const lines: string[] = [];
  let run: { key: string; value: string }[] = [];
  const flush = (): void => {
    const width = Math.max(0, ...run.map((a) => a.key.length));
    for (const a of run) lines.push(`${a.key.padEnd(width)} = ${a.value}`);
    run = [];
  };
  let previous: Item['kind'] | undefined;
  for (const item of items) {
    if (item.kind === 'attr') {
      if (previous === 'block') lines.push('');
      if (item.value.length === 1) {
        run.push({ key: item.key, value: item.value[0] as string });
      } else {
        flush();
        lines.push(`${item.key} = ${item.value[0]}`);
        for (const l of item.value.slice(1)) lines.push(l);
      }
    } else {
      flush();
      if (previous !== undefined) lines.push('');
      if (item.comment !== undefined) lines.push(`# ${item.comment}`);
      lines.push(`${item.header} {`);
      for (const l of render(item.body)) lines.push(l === '' ? l : INDENT + l);
      lines.push('}');
    }
    previous = item.kind;
  }
  flush();
  return lines;
}

function label(s: string): string {
  return literalString(s);
}

/** The blocks of one JSON value in block position: one object, or a list of objects. */
function blockBodies(v: Json, where: string): JsonObject[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((b, i) => {
    if (!isObject(b)) throw new Error(`${where}${Array.isArray(v) ? `[${i}]` : ''}: a block must be an object`);
    return b;
  });
}

/** Attributes first, then blocks, each in the document's order (cdktf writes keys sorted). */
function ordered(items: Item[]): Item[] {
  return [...items.filter((i) => i.kind === 'attr'), ...items.filter((i) => i.kind === 'block')];
}

/** Special attributes of resources and data sources (meta-arguments). */
const REFERENCE_LISTS = new Set(['depends_on']);

function lifecycleBody(body: JsonObject, where: string): Item[] {
  const items: Item[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (k === '//') continue;
    if (k === 'precondition' || k === 'postcondition') {
      for (const b of blockBodies(v, `${where}.${k}`))
        items.push({ kind: 'block', header: k, body: genericBody(b, {}, `${where}.${k}`) });
    } else if (k === 'ignore_changes' || k === 'replace_triggered_by') {
      items.push({
        kind: 'attr',
        key: k,
        value: typeof v === 'string' ? [referenceExpression(v)] : value(v, 'reference'),
      });
    } else {
      items.push({ kind: 'attr', key: k, value: value(v, 'literal') });
    }
  }
  return ordered(items);
}

/** A resource, data source or provider body: `tree` says which keys are nested blocks. */
function genericBody(body: JsonObject, tree: BlockTree, where: string, meta = false): Item[] {
  const items: Item[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (k === '//') continue;
    if (meta && k === 'lifecycle') {
      for (const b of blockBodies(v, `${where}.lifecycle`))
        items.push({ kind: 'block', header: 'lifecycle', body: lifecycleBody(b, `${where}.lifecycle`) });
    } else if (meta && (k === 'provisioner' || k === 'connection' || k === 'dynamic')) {
      throw new Error(`${where}: '${k}' blocks are not supported by this converter`);
    } else if (meta && REFERENCE_LISTS.has(k)) {
      items.push({ kind: 'attr', key: k, value: value(v, 'reference') });
    } else if (meta && k === 'provider' && typeof v === 'string') {
      items.push({ kind: 'attr', key: k, value: [referenceExpression(v)] });
    } else if (Object.prototype.hasOwnProperty.call(tree, k)) {
      for (const b of blockBodies(v, `${where}.${k}`)) {
        items.push({ kind: 'block', header: k, body: genericBody(b, tree[k] as BlockTree, `${where}.${k}`) });
      }
    } else {
      items.push({ kind: 'attr', key: k, value: value(v, 'template') });
    }
  }
  return ordered(items);
}

function constructPath(body: JsonObject): string | undefined {
  const meta = body['//'];
  const path = isObject(meta) && isObject(meta.metadata) ? meta.metadata.path : undefined;
  return typeof path === 'string' ? path : undefined;
}

function labeledBlocks(
  section: Json,
  keyword: 'resource' | 'data',
  schema: Readonly<Record<string, BlockTree>>,
): Item[] {
  if (!isObject(section)) throw new Error(`"${keyword}" must be an object`);
  const items: Item[] = [];
  for (const [type, byName] of Object.entries(section)) {
    const tree = schema[type];
    if (tree === undefined) {
      throw new Error(`${keyword} type '${type}' is not in the block schema: regenerate it (npm run hcl:schema)`);
    }
    if (!isObject(byName)) throw new Error(`${keyword}.${type} must map names to bodies`);
    for (const [name, body] of Object.entries(byName)) {
      const where = `${keyword === 'data' ? 'data.' : ''}${type}.${name}`;
      if (!isObject(body)) throw new Error(`${where} must be an object`);
      const comment = constructPath(body);
      items.push({
        kind: 'block',
        header: `${keyword} ${label(type)} ${label(name)}`,
        body: genericBody(body, tree, where, true),
        ...(comment === undefined ? {} : { comment }),
      });
    }
  }
  return items;
}

function terraformBlock(body: JsonObject): Item {
  const items: Item[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (k === '//') continue;
    if (k === 'required_providers') {
      for (const b of blockBodies(v, 'terraform.required_providers')) {
        items.push({
          kind: 'block',
          header: 'required_providers',
          body: Object.entries(b).map(([name, req]) => ({
            kind: 'attr',
            key: objectKey(name),
            value: value(req, 'literal'),
          })),
        });
      }
    } else if (k === 'backend') {
      for (const b of blockBodies(v, 'terraform.backend')) {
        for (const [type, config] of Object.entries(b)) {
          if (!isObject(config)) throw new Error(`terraform.backend.${type} must be an object`);
          items.push({
            kind: 'block',
            header: `backend ${label(type)}`,
            body: Object.entries(config).map(([ck, cv]) => ({ kind: 'attr', key: ck, value: value(cv, 'literal') })),
          });
        }
      }
    } else if (k === 'required_version') {
      items.push({ kind: 'attr', key: k, value: value(v, 'literal') });
    } else {
      throw new Error(`terraform.${k} is not supported by this converter`);
    }
  }
  return { kind: 'block', header: 'terraform', body: ordered(items) };
}

function variableBlock(name: string, body: JsonObject): Item {
  const items: Item[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (k === '//') continue;
    if (k === 'type') {
      // JSON syntax writes the type constraint as a string holding the type expression.
      if (typeof v !== 'string') throw new Error(`variable.${name}.type must be a string`);
      items.push({ kind: 'attr', key: k, value: [v] });
    } else if (k === 'validation') {
      for (const b of blockBodies(v, `variable.${name}.validation`)) {
        items.push({ kind: 'block', header: 'validation', body: genericBody(b, {}, `variable.${name}.validation`) });
      }
    } else {
      // default, description, sensitive, nullable, ephemeral are constants.
      items.push({ kind: 'attr', key: k, value: value(v, 'literal') });
    }
  }
  return { kind: 'block', header: `variable ${label(name)}`, body: ordered(items) };
}

function outputBlock(name: string, body: JsonObject): Item {
  const items: Item[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (k === '//') continue;
    if (k === 'value') items.push({ kind: 'attr', key: k, value: value(v, 'template') });
    else if (k === 'depends_on') items.push({ kind: 'attr', key: k, value: value(v, 'reference') });
    else if (k === 'precondition') {
      for (const b of blockBodies(v, `output.${name}.precondition`)) {
        items.push({ kind: 'block', header: k, body: genericBody(b, {}, `output.${name}.precondition`) });
      }
    } else items.push({ kind: 'attr', key: k, value: value(v, 'literal') });
  }
  return { kind: 'block', header: `output ${label(name)}`, body: ordered(items) };
}

/** Converts a Terraform JSON configuration to HCL. Throws naming the path of anything it cannot convert. */
export function jsonToHcl(doc: unknown, schema: BlockSchema): string {
  if (!isObject(doc)) throw new Error('a Terraform JSON configuration must be an object');
  const items: Item[] = [];
  const sections = Object.keys(doc).filter((k) => k !== '//');
  const known = ['terraform', 'provider', 'variable', 'locals', 'data', 'resource', 'output'];
  const unknownSection = sections.find((s) => !known.includes(s));
  if (unknownSection !== undefined) throw new Error(`top-level "${unknownSection}" is not supported by this converter`);

  // Written in the order a reader expects: settings, inputs, lookups, resources, outputs.
  for (const t of blockBodies(doc.terraform ?? [], 'terraform')) items.push(terraformBlock(t));
  if (doc.provider !== undefined) {
    if (!isObject(doc.provider)) throw new Error('"provider" must be an object');
    for (const [name, configs] of Object.entries(doc.provider)) {
      const tree = schema.provider[name];
      if (tree === undefined) throw new Error(`provider '${name}' is not in the block schema`);
      for (const b of blockBodies(configs, `provider.${name}`)) {
        items.push({
          kind: 'block',
          header: `provider ${label(name)}`,
          body: genericBody(b, tree, `provider.${name}`),
        });
      }
    }
  }
  if (doc.variable !== undefined) {
    if (!isObject(doc.variable)) throw new Error('"variable" must be an object');
    for (const [name, body] of Object.entries(doc.variable)) {
      if (!isObject(body)) throw new Error(`variable.${name} must be an object`);
      items.push(variableBlock(name, body));
    }
  }
  if (doc.locals !== undefined) {
    for (const b of blockBodies(doc.locals, 'locals')) {
      items.push({ kind: 'block', header: 'locals', body: genericBody(b, {}, 'locals') });
    }
  }
  if (doc.data !== undefined) items.push(...labeledBlocks(doc.data, 'data', schema.data));
  if (doc.resource !== undefined) items.push(...labeledBlocks(doc.resource, 'resource', schema.resource));
  if (doc.output !== undefined) {
    if (!isObject(doc.output)) throw new Error('"output" must be an object');
    for (const [name, body] of Object.entries(doc.output)) {
      if (!isObject(body)) throw new Error(`output.${name} must be an object`);
      items.push(outputBlock(name, body));
    }
  }
  return `${render(items).join('\n')}\n`;
}
