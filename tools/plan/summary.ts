/**
 * The review summary of one stack's plan, from `terraform show -json <planfile>`: counts by action, the
 * replaced and destroyed resources first (flagged when they hold state or serve traffic), the changed
 * attributes of every resource, and the WebSocket timing values before and after. Pure: no I/O.
 */

type Json = unknown;

/** One entry of `resource_changes`, as much of it as the summary reads. */
export interface PlanResourceChange {
  readonly address: string;
  readonly mode: string;
  readonly type: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before?: Json;
    readonly after?: Json;
    readonly after_unknown?: Json;
    readonly before_sensitive?: Json;
    readonly after_sensitive?: Json;
    readonly replace_paths?: Json;
  };
  readonly action_reason?: string;
}

/** `terraform show -json` of a saved plan (the parts read here). */
export interface ShowPlanJson {
  readonly format_version?: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly PlanResourceChange[];
  readonly planned_values?: Json;
  readonly prior_state?: Json;
}

/**
 * Resource types whose loss is an outage or loses data: replacing or destroying one needs an explicit
 * allow. The reason is printed next to the resource.
 */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = {
  aws_elasticache_replication_group: 'Redis: subscription fan-out and resumable history',
  aws_elasticache_cluster: 'Redis: subscription fan-out and resumable history',
  aws_ecr_repository: 'ECR repository: the images the service runs',
  aws_lb: 'load balancer: every open WebSocket and its DNS name',
  aws_lb_listener: 'listener: all traffic on its port',
  aws_lb_target_group: 'target group: the service registrations behind the listener',
  aws_acm_certificate: 'certificate: TLS of the public endpoint',
  aws_cloudwatch_log_group: 'log group: the service logs',
  aws_route53_record: 'DNS record: the public name or certificate validation',
  aws_s3_bucket: 'S3 bucket: Terraform state',
};

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'read' | 'no-op';

export interface AttributeChange {
  readonly name: string;
  /** JSON text, `(sensitive)` or absent (null before a create). */
  readonly before: string;
  /** JSON text, `(known after apply)` or `(sensitive)`. */
  readonly after: string;
  readonly forcesReplacement: boolean;
}

export interface ResourceSummary {
  readonly address: string;
  readonly type: string;
  readonly action: Action;
  /** For replacements: 'create-before-destroy' or 'delete-first' (an outage while the new one is made). */
  readonly order?: 'create-before-destroy' | 'delete-first';
  /** Why it matters when this resource is replaced or destroyed; absent for stateless types. */
  readonly stateful?: string;
  readonly reason?: string;
  readonly attributes: readonly AttributeChange[];
}

export interface TimingValue {
  readonly name: string;
  readonly unit: 's' | 'ms';
  /** Where it is read: `aws_lb.idle_timeout`, `container env KEEPALIVE_INTERVAL_MS`. */
  readonly source: string;
  readonly before: string;
  readonly after: string;
}

export interface PlanSummary {
  readonly stack: string;
  readonly counts: {
    readonly add: number;
    readonly change: number;
    readonly replace: number;
    readonly destroy: number;
  };
  /** Replaced or destroyed resources of a stateful type: these need --allow-destroy. */
  readonly destructive: readonly string[];
  /** Replacements and destroys first, then the rest by address; no-ops and reads left out. */
  readonly resources: readonly ResourceSummary[];
  readonly timing: readonly TimingValue[];
}

const UNKNOWN = '(known after apply)';
const SENSITIVE = '(sensitive)';

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function actionOf(actions: readonly string[]): Action {
  const a = actions.join(',');
  if (a === 'create,delete' || a === 'delete,create') return 'replace';
  if (a === 'create' || a === 'update' || a === 'delete' || a === 'read') return a;
  return 'no-op';
}

/** Top-level attribute names in `replace_paths` (`[["port"], ["name"]]`). */
function replaceRoots(paths: Json): Set<string> {
  const roots = new Set<string>();
  if (Array.isArray(paths)) for (const p of paths) if (Array.isArray(p) && typeof p[0] === 'string') roots.add(p[0]);
  return roots;
}

const MAX_VALUE = 120;
function show(value: Json): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** True when a sensitivity marker (true, or a structure containing true) covers the value. */
function sensitive(marker: Json): boolean {
  if (marker === true) return true;
  if (Array.isArray(marker)) return marker.some(sensitive);
  if (isObject(marker)) return Object.values(marker).some(sensitive);
  return false;
}

function attributeChanges(rc: PlanResourceChange): AttributeChange[] {
  const before = isObject(rc.change.before) ? rc.change.before : {};
  const after = isObject(rc.change.after) ? rc.change.after : {};
  const unknown = isObject(rc.change.after_unknown) ? rc.change.after_unknown : {};
  const beforeSensitive = isObject(rc.change.before_sensitive) ? rc.change.before_sensitive : {};
  const afterSensitive = isObject(rc.change.after_sensitive) ? rc.change.after_sensitive : {};
  const forcing = replaceRoots(rc.change.replace_paths);
  const names = [...new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)])].sort();
  const changes: AttributeChange[] = [];
  for (const name of names) {
    const isUnknown = unknown[name] !== undefined && unknown[name] !== false && JSON.stringify(unknown[name]) !== '{}';
    const b = before[name] ?? null;
    const a = after[name] ?? null;
    if (!isUnknown && JSON.stringify(b) === JSON.stringify(a)) continue;
    // A create lists what is set; nulls and computed values say nothing to a reviewer.
    if (rc.change.actions.join() === 'create' && (a === null || isUnknown)) continue;
    if (rc.change.actions.join() === 'delete') continue;
    // A replacement recomputes every computed value: only what forces it or is set differently matters.
    if (actionOf(rc.change.actions) === 'replace' && isUnknown && !forcing.has(name)) continue;
    changes.push({
      name,
      before: sensitive(beforeSensitive[name]) ? SENSITIVE : show(b),
      after: sensitive(afterSensitive[name]) ? SENSITIVE : isUnknown ? UNKNOWN : show(a),
      forcesReplacement: forcing.has(name),
    });
  }
  return changes;
}

interface PlannedResource {
  readonly type: string;
  readonly values?: Json;
}

/**
 * Managed resources before or after the plan, from `resource_changes` (which lists unchanged resources as
 * no-ops too): the planned values, or the prior state's.
 */
function resourcesOf(plan: ShowPlanJson, side: 'before' | 'after'): PlannedResource[] {
  return (plan.resource_changes ?? [])
    .filter((rc) => rc.mode === 'managed' && isObject(rc.change[side]))
    .map((rc) => ({ type: rc.type, values: rc.change[side] }));
}

function firstOfType(resources: readonly PlannedResource[], type: string): Record<string, Json> | undefined {
  const found = resources.find((r) => r.type === type && isObject(r.values));
  return found?.values as Record<string, Json> | undefined;
}

/** The service container's definition (the first one with an environment) from a task definition's values. */
function containerOf(task: Record<string, Json> | undefined): Record<string, Json> | undefined {
  const text = task?.container_definitions;
  if (typeof text !== 'string') return undefined;
  try {
    const defs = JSON.parse(text) as Json[];
    return defs.find((d): d is Record<string, Json> => isObject(d) && Array.isArray(d.environment));
  } catch {
    return undefined;
  }
}

function envValue(container: Record<string, Json> | undefined, name: string): Json {
  const env = (container?.environment as Array<{ name?: string; value?: Json }> | undefined) ?? [];
  return env.find((e) => e.name === name)?.value;
}

/** The five values a WebSocket deploy depends on, read from one set of resource values. */
function timingFrom(resources: readonly PlannedResource[]): Record<string, Json> {
  const container = containerOf(firstOfType(resources, 'aws_ecs_task_definition'));
  return {
    idle: firstOfType(resources, 'aws_lb')?.idle_timeout,
    keepalive: envValue(container, 'KEEPALIVE_INTERVAL_MS'),
    deregistration: firstOfType(resources, 'aws_lb_target_group')?.deregistration_delay,
    drain: envValue(container, 'DRAIN_WINDOW_MS'),
    stop: container?.stopTimeout,
  };
}

const TIMING_ROWS: ReadonlyArray<{ key: string; name: string; unit: 's' | 'ms'; source: string }> = [
  { key: 'idle', name: 'ALB idle timeout', unit: 's', source: 'aws_lb.idle_timeout' },
  { key: 'keepalive', name: 'keepalive interval', unit: 'ms', source: 'container env KEEPALIVE_INTERVAL_MS' },
  {
    key: 'deregistration',
    name: 'deregistration delay',
    unit: 's',
    source: 'aws_lb_target_group.deregistration_delay',
  },
  { key: 'drain', name: 'drain window', unit: 'ms', source: 'container env DRAIN_WINDOW_MS' },
  { key: 'stop', name: 'stop timeout', unit: 's', source: 'container stopTimeout' },
];

/**
 * The container timing local of the synthesized stack (`locals.<name>` with `keepalive_interval_ms`,
 * `drain_window_ms`, `stop_timeout_seconds`): the container definition embeds the ECR URL, so it is
 * unknown in a first plan, and the local carries the same numbers as literals.
 */
export function containerTimingLocal(stackJson: Json): Record<string, Json> | undefined {
  const locals = isObject(stackJson) && isObject(stackJson.locals) ? stackJson.locals : {};
  return Object.values(locals).find(
    (v): v is Record<string, Json> => isObject(v) && 'keepalive_interval_ms' in v && 'stop_timeout_seconds' in v,
  );
}

const LOCAL_KEYS: Readonly<Record<string, string>> = {
  keepalive: 'keepalive_interval_ms',
  drain: 'drain_window_ms',
  stop: 'stop_timeout_seconds',
};

function timingValues(plan: ShowPlanJson, local: Record<string, Json> | undefined): TimingValue[] {
  const before = timingFrom(resourcesOf(plan, 'before'));
  const after = timingFrom(resourcesOf(plan, 'after'));
  const present = TIMING_ROWS.some((r) => after[r.key] !== undefined || before[r.key] !== undefined);
  const hasService = (plan.resource_changes ?? []).some(
    (r) => r.type === 'aws_lb' || r.type === 'aws_ecs_task_definition',
  );
  if (!present && !hasService) return [];
  return TIMING_ROWS.map((r) => {
    const planned = after[r.key];
    const fromLocal = LOCAL_KEYS[r.key] !== undefined ? local?.[LOCAL_KEYS[r.key]] : undefined;
    const useLocal = (planned === undefined || planned === null) && fromLocal !== undefined && fromLocal !== null;
    return {
      name: r.name,
      unit: r.unit,
      source: useLocal ? `local ${LOCAL_KEYS[r.key]} (the container definition is known after apply)` : r.source,
      before: before[r.key] === undefined || before[r.key] === null ? '-' : String(before[r.key]),
      // Absent from the planned values and no local: computed at apply.
      after: useLocal ? String(fromLocal) : planned === undefined || planned === null ? UNKNOWN : String(planned),
    };
  });
}

const ORDER: Readonly<Record<Action, number>> = { delete: 0, replace: 0, update: 1, create: 2, read: 3, 'no-op': 3 };

/** The summary of one stack's plan. */
export function summarizePlan(
  stack: string,
  plan: ShowPlanJson,
  /** The synthesized stack (cdk.tf.json), for timing values the plan only knows after apply. */
  stackJson?: Json,
): PlanSummary {
  const resources: ResourceSummary[] = [];
  const counts = { add: 0, change: 0, replace: 0, destroy: 0 };
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode !== 'managed') continue;
    const action = actionOf(rc.change.actions);
    if (action === 'no-op' || action === 'read') continue;
    if (action === 'create') counts.add++;
    if (action === 'update') counts.change++;
    if (action === 'replace') counts.replace++;
    if (action === 'delete') counts.destroy++;
    const stateful = action === 'replace' || action === 'delete' ? STATEFUL_TYPES[rc.type] : undefined;
    resources.push({
      address: rc.address,
      type: rc.type,
      action,
      ...(action === 'replace'
        ? { order: rc.change.actions[0] === 'create' ? 'create-before-destroy' : 'delete-first' }
        : {}),
      ...(stateful !== undefined ? { stateful } : {}),
      ...(rc.action_reason !== undefined ? { reason: rc.action_reason } : {}),
      attributes: attributeChanges(rc),
    } as ResourceSummary);
  }
  resources.sort((a, b) => ORDER[a.action] - ORDER[b.action] || a.address.localeCompare(b.address));
  return {
    stack,
    counts,
    destructive: resources.filter((r) => r.stateful !== undefined).map((r) => r.address),
    resources,
    timing: timingValues(plan, containerTimingLocal(stackJson)),
  };
}

/** Exit codes: those of `terraform plan -detailed-exitcode`, and one for a plan that needs --allow-destroy. */
export const EXIT = { noChanges: 0, error: 1, changes: 2, destructive: 3 } as const;

/** The exit code for a set of summaries: 3 when any is destructive and not allowed, else 2 or 0. */
export function exitCode(summaries: readonly PlanSummary[], allowDestroy: boolean): number {
  if (!allowDestroy && summaries.some((s) => s.destructive.length > 0)) return EXIT.destructive;
  return summaries.some((s) => s.resources.length > 0) ? EXIT.changes : EXIT.noChanges;
}

/** Terraform's plan symbols: a replacement is `+/-` when the new object is created first, else `-/+`. */
const SYMBOL: Readonly<Record<Action, string>> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  read: '<=',
  'no-op': ' ',
};
const symbolOf = (r: ResourceSummary): string =>
  r.action === 'replace' && r.order === 'create-before-destroy' ? '+/-' : SYMBOL[r.action];

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The summary as Markdown (a PR comment section): headline, destructive list, changes, timing table. */
export function renderMarkdown(summary: PlanSummary): string {
  const { add, change, replace, destroy } = summary.counts;
  const lines = [`### Plan: \`${summary.stack}\``, ''];
  lines.push(`**${add} to add, ${change} to change, ${replace} to replace, ${destroy} to destroy.**`, '');
  if (summary.destructive.length > 0) {
    lines.push(
      `> [!CAUTION]`,
      `> ${summary.destructive.length} resource(s) that hold state or serve traffic are replaced or destroyed:`,
    );
    for (const r of summary.resources.filter((x) => x.stateful !== undefined)) {
      lines.push(`> - \`${r.address}\` (${r.action}${r.order ? `, ${r.order}` : ''}): ${r.stateful}`);
    }
    lines.push('');
  }
  const created = summary.resources.filter((r) => r.action === 'create');
  if (summary.resources.length === 0) lines.push('No changes.', '');
  else if (created.length === summary.resources.length) lines.push('Nothing is changed or removed.', '');
  for (const r of summary.resources) {
    if (r.action === 'create') continue;
    const flag = r.stateful !== undefined ? ' ⚠️ stateful' : '';
    const order = r.order ? ` (${r.order})` : '';
    lines.push(`- \`${symbolOf(r)}\` \`${r.address}\` **${r.action}**${order}${flag}`);
    for (const a of r.attributes) {
      const forces = a.forcesReplacement ? ' **forces replacement**' : '';
      lines.push(`  - \`${a.name}\`: \`${cell(a.before)}\` → \`${cell(a.after)}\`${forces}`);
    }
  }
  if (created.length > 0) {
    // New resources risk nothing that runs: folded, with their settings in summary.json.
    lines.push('', `<details><summary>${created.length} to add</summary>`, '');
    for (const r of created) lines.push(`- \`+\` \`${r.address}\``);
    lines.push('', '</details>');
  }
  if (summary.timing.length > 0) {
    lines.push('', '| WebSocket timing | before | after | from |', '| --- | --- | --- | --- |');
    for (const t of summary.timing) {
      const changed = t.before !== t.after && t.before !== '-' ? ' (changed)' : '';
      lines.push(`| ${t.name} (${t.unit}) | ${t.before} | ${t.after}${changed} | \`${t.source}\` |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
