/**
 * The README of a hand-off bundle: what the stack creates, its inputs and outputs, the WebSocket timing and
 * why its values relate, the policy results, the versions, and how to plan and apply. Generated from the
 * synthesized configuration only, so it says what the files do.
 */
import { SHUTDOWN_GRACE_SECONDS } from '../../service/src/container-contract';
import type { StackReport } from '../policy/evaluate';
import type { TfModel } from '../policy/model';
import { websocketPaths } from '../policy/websocket-path';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string): string => `\`${s}\``;

function first(v: unknown): Json {
  if (Array.isArray(v)) return isObject(v[0]) ? v[0] : {};
  return isObject(v) ? v : {};
}

export interface ReadmeInput {
  readonly stack: string;
  /**
   * `service`: an environment of the service. `state-bootstrap`: the stack that creates the bucket of the
   * S3 state backends (applied once, before the environments that use it).
   */
  readonly kind: 'service' | 'state-bootstrap';
  readonly doc: Json;
  readonly model: TfModel;
  readonly policy: StackReport;
  /** Files of the bundle, relative to it, as listed in SHA256SUMS. */
  readonly files: readonly string[];
}

function created(model: TfModel): string[] {
  const byType = new Map<string, string[]>();
  for (const r of model.resources.filter((x) => x.mode === 'managed')) {
    byType.set(r.type, [...(byType.get(r.type) ?? []), r.constructPath ?? r.name]);
  }
  const lines = ['| Resource type | Count | Constructs |', '| --- | --- | --- |'];
  for (const [type, paths] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`| ${code(type)} | ${paths.length} | ${cell(paths.sort().join(', '))} |`);
  }
  const lookups = model.resources.filter((x) => x.mode === 'data').map((d) => code(d.type));
  if (lookups.length > 0) lines.push('', `It reads (data sources): ${[...new Set(lookups)].sort().join(', ')}.`);
  return lines;
}

function variables(doc: Json): string[] {
  const vars = isObject(doc.variable) ? doc.variable : {};
  if (Object.keys(vars).length === 0) return ['None.'];
  const lines = ['| Name | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const [name, v] of Object.entries(vars)) {
    const body = isObject(v) ? v : {};
    const def = 'default' in body ? code(JSON.stringify(body.default)) : 'none: required (`-var ' + name + '=...`)';
    lines.push(
      `| ${code(name)} | ${code(String(body.type ?? 'any'))} | ${def} | ${cell(String(body.description ?? ''))} |`,
    );
  }
  return lines;
}

function outputs(doc: Json): string[] {
  const outs = isObject(doc.output) ? doc.output : {};
  const lines = ['| Name | Description |', '| --- | --- |'];
  for (const [name, v] of Object.entries(outs)) {
    lines.push(`| ${code(name)} | ${cell(String((isObject(v) ? v.description : undefined) ?? ''))} |`);
  }
  return lines;
}

function timing(model: TfModel): string[] {
  const [path] = websocketPaths(model);
  if (path === undefined) return ['No load-balanced ECS service found.'];
  const t = path.timing;
  const v = (n: number | undefined): string => (n === undefined ? '?' : `${n} s`);
  return [
    '| Setting | Where | Value |',
    '| --- | --- | --- |',
    `| ALB idle timeout | ${code('aws_lb.idle_timeout')} | ${v(t.idleTimeoutSeconds)} |`,
    `| Keepalive (ping) interval | task environment ${code('KEEPALIVE_INTERVAL_MS')} | ${v(t.keepaliveIntervalSeconds)} |`,
    `| Drain window | task environment ${code('DRAIN_WINDOW_MS')} | ${v(t.drainWindowSeconds)} |`,
    `| Drain poll interval | task environment ${code('DRAIN_POLL_INTERVAL_MS')} | ${v(t.drainPollIntervalSeconds)} |`,
    `| Deregistration delay | ${code('aws_lb_target_group.deregistration_delay')} | ${v(t.deregistrationDelaySeconds)} |`,
    `| Stop timeout | container ${code('stopTimeout')} | ${v(t.stopTimeoutSeconds)} |`,
    '',
    'How they relate (the policy rules WSG-WS-001..007 check each; change them together, in the cdktf app):',
    '',
    '- The ALB closes a connection idle for the idle timeout. The service pings every keepalive interval, so the idle',
    '  timeout must be at least twice that: one lost ping must not cut a quiet socket (WSG-WS-001). The service is told',
    `  the idle timeout (${code('LB_IDLE_TIMEOUT_MS')}) and keeps idle HTTP connections open longer than it (WSG-WS-007).`,
    '- When a task stops, the target group keeps it registered for the deregistration delay while the service closes its',
    '  sockets with code 1012 over the drain window; the delay must cover the window plus one poll (WSG-WS-002).',
    `- ECS sends SIGKILL the stop timeout after SIGTERM; a drain needs the window plus ${SHUTDOWN_GRACE_SECONDS} s of shutdown`,
    '  grace (close handshakes, in-flight HTTP), so the stop timeout must be at least that (WSG-WS-003).',
  ];
}

function policy(report: StackReport): string[] {
  const count = (pred: (r: StackReport['results'][number]) => boolean): number => report.results.filter(pred).length;
  if (report.results.length === 0) {
    return ['No policy rule checks the resource types of this stack; `policy.json` lists the rules.'];
  }
  const passed = count((r) => r.evaluation.status === 'pass');
  const waived = count((r) => r.evaluation.status === 'fail' && r.waiver !== undefined);
  const lines = [
    `${passed} checks passed, ${report.failures} failed, ${waived} waived. Rule ids, their checkov and trivy equivalents and`,
    'the results per resource are in `policy.json`.',
  ];
  const failed = report.results.filter((r) => r.evaluation.status === 'fail' && r.waiver === undefined);
  if (failed.length > 0) {
    lines.push('', 'Failed:', '');
    for (const f of failed) lines.push(`- ${f.rule.id} ${code(f.evaluation.address)}: ${f.evaluation.message}`);
  }
  const reasons = new Map<string, { title: string; reason: string }>();
  for (const r of report.results) {
    if (r.waiver !== undefined) reasons.set(r.rule.id, { title: r.rule.title, reason: r.waiver.reason });
  }
  if (reasons.size > 0) {
    lines.push('', 'Waived, with the reason:', '');
    for (const [id, w] of [...reasons].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`- **${id}** ${w.title}: ${w.reason}`);
    }
  }
  return lines;
}

/** What the stack is, by kind. */
function intro(input: ReadmeInput, region: string): string[] {
  if (input.kind === 'state-bootstrap') {
    return [
      `The ${code(input.stack)} stack of the GraphQL-over-WebSocket service in ${code(region)}, as plain Terraform: the`,
      'S3 bucket the environments with an S3 backend keep their state in. Apply it once, before the first',
      '`terraform init` of any of them. Node.js and the cdktf app are not needed to use it.',
    ];
  }
  return [
    `The ${code(input.stack)} environment of the GraphQL-over-WebSocket service (ECR, ECS Fargate, ALB, ACM, Route 53,`,
    `ElastiCache Redis) in ${code(region)}, as plain Terraform. Node.js and the cdktf app are not needed to use it.`,
  ];
}

/** Where the state goes, and what to do about it before the first apply. */
function stateBackend(input: ReadmeInput, tf: Json): string {
  const backend = Object.keys(first(tf.backend))[0] ?? 'local';
  if (backend !== 'local') return `- State backend: ${code(backend)}.`;
  const at = code(String(first(first(tf.backend).local).path ?? 'terraform.tfstate'));
  if (input.kind === 'state-bootstrap') {
    return (
      `- State backend: ${code('local')} at ${at} (relative to the configuration directory). The stack creates the ` +
      "bucket, so its own state cannot start out in it: keep this file (it holds only the bucket's configuration), " +
      'or move it into the bucket once it exists (add an `s3` backend, then `terraform init -migrate-state`).'
    );
  }
  return (
    `- State backend: ${code('local')} at ${at} (relative to the configuration directory; replace the ` +
    `${code('backend')} block with your own before the first apply).`
  );
}

function planAndApply(input: ReadmeInput): string[] {
  if (input.kind === 'state-bootstrap') {
    return [
      '```sh',
      'cd hcl',
      'terraform init',
      'terraform plan -out plan.bin',
      'terraform apply plan.bin',
      '```',
      '',
      'The bucket has `prevent_destroy`: `terraform destroy` refuses to remove it.',
    ];
  }
  return [
    '```sh',
    'cd hcl',
    'terraform init',
    'terraform plan -var image_tag=<tag> -out plan.bin',
    'terraform apply plan.bin',
    '```',
    '',
    'Push the image first: `docker push <ecr_repository_url>:<tag>` (the repository is an output; on the first apply,',
    'create it alone with `terraform apply -target=<its address>`, push, then apply everything). Tags are immutable:',
    'each deploy uses a new tag.',
  ];
}

export function bundleReadme(input: ReadmeInput): string {
  const { stack, doc } = input;
  const tf = first(doc.terraform);
  const aws = first(first(tf.required_providers).aws);
  const provider = first(first(doc.provider).aws ?? first(doc.provider));
  const region = String(provider.region ?? first((doc.provider as Json | undefined)?.aws).region ?? '?');
  const lines = [
    `# ${stack}: Terraform configuration`,
    '',
    ...intro(input, region),
    '',
    '- `hcl/main.tf`: the configuration in HCL. Plan and apply this one.',
    '- `json/cdk.tf.json`: the same configuration in Terraform JSON, as the cdktf app synthesized it.',
    '- `policy.json`: the policy results. `SHA256SUMS`: checksums of every file.',
    '',
    'Check the files first: `sha256sum -c SHA256SUMS`.',
    '',
    '## Versions',
    '',
    `- Terraform ${code(String(tf.required_version ?? 'any'))}.`,
    `- Provider ${code(String(aws.source ?? 'aws') === 'aws' ? 'hashicorp/aws' : String(aws.source))} ${code(String(aws.version ?? 'any'))} (pinned).`,
    stateBackend(input, tf),
    '',
    '## What it creates',
    '',
    ...created(input.model),
    '',
    '## Variables',
    '',
    ...variables(doc),
    '',
    '## Outputs',
    '',
    ...outputs(doc),
    '',
    ...(input.kind === 'service' ? ['## WebSocket timing', '', ...timing(input.model), ''] : []),
    '## Policy',
    '',
    ...policy(input.policy),
    '',
    '## Plan and apply',
    '',
    ...planAndApply(input),
    '',
    '## Files',
    '',
    ...input.files.map((f) => `- ${code(f)}`),
    '',
  ];
  return lines.join('\n');
}
