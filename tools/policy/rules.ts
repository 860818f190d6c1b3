/**
 * The policy rules. Ids are stable: waivers, SARIF consumers and the docs name them. Never renumber;
 * retire an id instead of reusing it.
 *
 * - WSG-AWS-*: what the AWS scanners check on these resource types (the equivalent checkov and trivy ids are
 *   listed on each rule), so a platform team running those scanners sees no surprise.
 * - WSG-WS-*: the WebSocket rules no scanner knows; the timing ones are the container contract's
 *   timingViolations, applied to the values found in the configuration.
 * - WSG-INV-*: the project's own invariants (encryption in transit and at rest, TLS 1.2+, no open ingress
 *   but 80/443 on the load balancer).
 */
import { type TimingName, type TimingSeconds, timingViolations } from '../../service/src/container-contract';
import { blocks, bool, byAddress, num, ofType, strings, type TfModel, type TfResource } from './model';
import { containers, environmentOf, websocketPaths } from './websocket-path';

export type Status = 'pass' | 'fail' | 'unknown';

/** One rule applied to one resource. */
export interface Evaluation {
  readonly address: string;
  readonly status: Status;
  readonly message: string;
}

export interface RuleContext {
  readonly model: TfModel;
  /** The environment asked for sticky sessions (stickinessCookieDurationSeconds is set). */
  readonly stickinessRequested: boolean;
}

export interface PolicyRule {
  readonly id: string;
  readonly title: string;
  readonly category: 'aws' | 'websocket' | 'invariant';
  /** SARIF level of a failure. */
  readonly severity: 'error' | 'warning';
  /** Why the rule exists and how to fix a failure. */
  readonly help: string;
  /** The same check in the common scanners (empty when none has it). */
  readonly equivalents: { readonly checkov: readonly string[]; readonly trivy: readonly string[] };
  readonly check: (ctx: RuleContext) => Evaluation[];
}

const pass = (r: TfResource, message: string): Evaluation => ({ address: r.address, status: 'pass', message });
const fail = (r: TfResource, message: string): Evaluation => ({ address: r.address, status: 'fail', message });
const unknown = (r: TfResource, attr: string): Evaluation => ({
  address: r.address,
  status: 'unknown',
  message: `'${attr}' is not known until apply`,
});

/** Checks one attribute of every resource of `types`; `test` returns true (pass), or a failure message. */
function eachAttr(
  types: string[],
  attr: string,
  test: (value: unknown, r: TfResource) => true | string,
  passMessage: string,
): (ctx: RuleContext) => Evaluation[] {
  return ({ model }) =>
    ofType(model, ...types).map((r) => {
      if (r.unknown.has(attr)) return unknown(r, attr);
      const verdict = test(r.values[attr], r);
      return verdict === true ? pass(r, passMessage) : fail(r, verdict);
    });
}

/** Every container of every task definition. */
function eachContainer(
  ctx: RuleContext,
  test: (c: ReturnType<typeof containers> extends (infer T)[] | undefined ? T : never) => true | string,
  passMessage: string,
): Evaluation[] {
  return ofType(ctx.model, 'aws_ecs_task_definition').map((td) => {
    const list = containers(td);
    if (list === undefined) return unknown(td, 'container_definitions');
    const problems = list.map(test).filter((v): v is string => v !== true);
    return problems.length === 0 ? pass(td, passMessage) : fail(td, problems.join('; '));
  });
}

/** Security group rules in every form: standalone (both resource types) and inline. */
interface SgRule {
  readonly resource: TfResource;
  readonly direction: 'ingress' | 'egress';
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidrs: string[];
  readonly description?: string;
  /** Address of the security group the rule belongs to. */
  readonly groupAddress?: string;
}

const OPEN_CIDRS = new Set(['0.0.0.0/0', '::/0']);

function securityGroupRules(model: TfModel): SgRule[] {
  const rules: SgRule[] = [];
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
  const group = (r: TfResource, attr: string): string | undefined =>
    r.refs(attr).find((a) => byAddress(model, a)?.type === 'aws_security_group');
  const optional = (key: string, v: unknown): Record<string, unknown> => (v === undefined ? {} : { [key]: v });
  for (const r of ofType(model, 'aws_security_group_rule')) {
    const v = r.values;
    rules.push({
      resource: r,
      direction: v.type === 'egress' ? 'egress' : 'ingress',
      protocol: String(v.protocol ?? ''),
      cidrs: [...strings(v.cidr_blocks), ...strings(v.ipv6_cidr_blocks)],
      ...optional('fromPort', num(v.from_port)),
      ...optional('toPort', num(v.to_port)),
      ...optional('description', text(v.description)),
      ...optional('groupAddress', group(r, 'security_group_id')),
    });
  }
  for (const r of ofType(model, 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule')) {
    const v = r.values;
    rules.push({
      resource: r,
      direction: r.type.endsWith('egress_rule') ? 'egress' : 'ingress',
      protocol: String(v.ip_protocol ?? ''),
      cidrs: [v.cidr_ipv4, v.cidr_ipv6].filter((c): c is string => typeof c === 'string'),
      ...optional('fromPort', num(v.from_port)),
      ...optional('toPort', num(v.to_port)),
      ...optional('description', text(v.description)),
      ...optional('groupAddress', group(r, 'security_group_id')),
    });
  }
  for (const sg of ofType(model, 'aws_security_group')) {
    for (const direction of ['ingress', 'egress'] as const) {
      for (const b of blocks(sg.values[direction])) {
        rules.push({
          resource: sg,
          direction,
          protocol: String(b.protocol ?? ''),
          cidrs: [...strings(b.cidr_blocks), ...strings(b.ipv6_cidr_blocks)],
          ...optional('fromPort', num(b.from_port)),
          ...optional('toPort', num(b.to_port)),
          ...optional('description', text(b.description)),
          groupAddress: sg.address,
        });
      }
    }
  }
  return rules;
}

const ports = (r: SgRule): string =>
  r.protocol === '-1' || r.protocol === 'all' ? 'all ports' : `${r.protocol} ${r.fromPort ?? '?'}-${r.toPort ?? '?'}`;

/** Security groups attached to an application load balancer. */
function loadBalancerGroups(model: TfModel): Set<string> {
  const groups = new Set<string>();
  for (const lb of ofType(model, 'aws_lb', 'aws_alb')) {
    if ((lb.values.load_balancer_type ?? 'application') !== 'application') continue;
    for (const a of lb.refs('security_groups')) groups.add(a);
  }
  return groups;
}

/** An HTTPS listener's policy allows TLS 1.2 and newer only (AWS names these families so). */
const TLS12_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)/;

/** The timing rules, one id per value the contract's timingViolations can name. */
function timingRule(names: readonly TimingName[], crossRule: boolean): (ctx: RuleContext) => Evaluation[] {
  return ({ model }) =>
    websocketPaths(model).map((path) => {
      const values = path.timing;
      const missing = (['idleTimeoutSeconds', 'keepaliveIntervalSeconds', 'drainWindowSeconds'] as const).filter(
        (n) => values[n] === undefined,
      );
      if (crossRule && missing.length > 0) return unknown(path.service, missing.join(', '));
      // Ranges are checked one value at a time; the rules between values only when every range holds.
      const rangeProblems = (Object.keys(values) as TimingName[]).flatMap((n) =>
        timingViolations({ [n]: values[n] } as Partial<TimingSeconds>),
      );
      const found = crossRule
        ? rangeProblems.length > 0
          ? []
          : timingViolations(values).filter((v) => names.includes(v.name))
        : rangeProblems;
      const shown = Object.entries(values)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      return found.length === 0
        ? pass(path.service, `timing holds (${shown})`)
        : fail(path.service, found.map((v) => `${v.name} ${v.rule} (got ${v.value})`).join('; '));
    });
}

const ids = (checkov: string[], trivy: string[]) => ({ checkov, trivy });

export const RULES: readonly PolicyRule[] = [
  // --- What the AWS scanners check -------------------------------------------------------------------------
  {
    id: 'WSG-AWS-001',
    title: 'Application load balancers drop invalid header fields',
    category: 'aws',
    severity: 'error',
    help: 'Set drop_invalid_header_fields = true on aws_lb: headers that do not conform are removed, which blocks HTTP desync attacks.',
    equivalents: ids(['CKV_AWS_131'], ['AVD-AWS-0052']),
    check: eachAttr(
      ['aws_lb', 'aws_alb'],
      'drop_invalid_header_fields',
      (v) => bool(v) === true || 'drop_invalid_header_fields is not true',
      'drops invalid header fields',
    ),
  },
  {
    id: 'WSG-AWS-002',
    title: 'Load balancers have deletion protection',
    category: 'aws',
    severity: 'warning',
    help: 'Set enable_deletion_protection = true (loadBalancer.deletionProtection): deleting the ALB drops every open WebSocket and changes its DNS name.',
    equivalents: ids(['CKV_AWS_150'], []),
    check: eachAttr(
      ['aws_lb', 'aws_alb'],
      'enable_deletion_protection',
      (v) => bool(v) === true || 'enable_deletion_protection is not true',
      'deletion protection on',
    ),
  },
  {
    id: 'WSG-AWS-003',
    title: 'Load balancers write access logs',
    category: 'aws',
    severity: 'warning',
    help: 'Enable access_logs on aws_lb (loadBalancer.accessLogs) to keep a record of every request and WebSocket upgrade.',
    equivalents: ids(['CKV_AWS_91'], []),
    check: eachAttr(
      ['aws_lb', 'aws_alb'],
      'access_logs',
      (v) => blocks(v).some((b) => bool(b.enabled) === true) || 'access_logs is not enabled',
      'access logs on',
    ),
  },
  {
    id: 'WSG-AWS-004',
    title: 'Listeners serve HTTPS or redirect to it',
    category: 'aws',
    severity: 'error',
    help: 'An HTTP listener must only redirect to HTTPS (default_action redirect with protocol HTTPS); everything else is served over TLS.',
    equivalents: ids(['CKV_AWS_2', 'CKV2_AWS_20'], ['AVD-AWS-0054']),
    check: eachAttr(
      ['aws_lb_listener', 'aws_alb_listener'],
      'protocol',
      (protocol, r) => {
        if (protocol === 'HTTPS' || protocol === 'TLS') return true;
        const actions = blocks(r.values.default_action);
        const redirects =
          actions.length > 0 &&
          actions.every((a) => a.type === 'redirect' && blocks(a.redirect).some((x) => x.protocol === 'HTTPS'));
        return redirects || `listener protocol ${String(protocol ?? 'HTTP')} does not redirect to HTTPS`;
      },
      'HTTPS or a redirect to it',
    ),
  },
  {
    id: 'WSG-AWS-005',
    title: 'ECR image tags are immutable',
    category: 'aws',
    severity: 'error',
    help: 'Set image_tag_mutability = "IMMUTABLE": a tag then always names the image that was reviewed and deployed.',
    equivalents: ids(['CKV_AWS_51'], ['AVD-AWS-0031']),
    check: eachAttr(
      ['aws_ecr_repository'],
      'image_tag_mutability',
      (v) => v === 'IMMUTABLE' || `image_tag_mutability is ${String(v ?? 'MUTABLE (default)')}`,
      'tags immutable',
    ),
  },
  {
    id: 'WSG-AWS-006',
    title: 'ECR scans images on push',
    category: 'aws',
    severity: 'warning',
    help: 'Set image_scanning_configuration { scan_on_push = true } (or use registry-level enhanced scanning).',
    equivalents: ids(['CKV_AWS_163'], ['AVD-AWS-0030']),
    check: eachAttr(
      ['aws_ecr_repository'],
      'image_scanning_configuration',
      (v) => blocks(v).some((b) => bool(b.scan_on_push) === true) || 'scan_on_push is not true',
      'scan on push',
    ),
  },
  {
    id: 'WSG-AWS-007',
    title: 'ECR repositories are encrypted with a KMS key',
    category: 'aws',
    severity: 'warning',
    help: 'Set encryption_configuration { encryption_type = "KMS" } (optionally with kms_key) for a key you control and audit.',
    equivalents: ids(['CKV_AWS_136'], ['AVD-AWS-0033']),
    check: eachAttr(
      ['aws_ecr_repository'],
      'encryption_configuration',
      (v) =>
        blocks(v).some((b) => b.encryption_type === 'KMS') ||
        `encryption_type is ${String(blocks(v)[0]?.encryption_type ?? 'AES256 (default)')}`,
      'KMS encryption',
    ),
  },
  {
    id: 'WSG-AWS-008',
    title: 'ECS clusters have Container Insights',
    category: 'aws',
    severity: 'warning',
    help: 'Add setting { name = "containerInsights", value = "enabled" } (or "enhanced") to aws_ecs_cluster.',
    equivalents: ids(['CKV_AWS_65'], ['AVD-AWS-0034']),
    check: eachAttr(
      ['aws_ecs_cluster'],
      'setting',
      (v) =>
        blocks(v).some((s) => s.name === 'containerInsights' && (s.value === 'enabled' || s.value === 'enhanced')) ||
        'containerInsights is not enabled',
      'Container Insights on',
    ),
  },
  {
    id: 'WSG-AWS-009',
    title: 'ECS containers have a read-only root filesystem',
    category: 'aws',
    severity: 'error',
    help: 'Set readonlyRootFilesystem: true in every container definition; the service writes only to its /tmp volume.',
    equivalents: ids(['CKV_AWS_336'], []),
    check: (ctx) =>
      eachContainer(
        ctx,
        (c) => c.readonlyRootFilesystem === true || `container ${c.name ?? '?'} has a writable root filesystem`,
        'read-only root filesystem',
      ),
  },
  {
    id: 'WSG-AWS-010',
    title: 'ECS containers are not privileged',
    category: 'aws',
    severity: 'error',
    help: 'Remove privileged: true from the container definition (Fargate refuses it anyway).',
    equivalents: ids(['CKV_AWS_334'], []),
    check: (ctx) =>
      eachContainer(ctx, (c) => c.privileged !== true || `container ${c.name ?? '?'} is privileged`, 'not privileged'),
  },
  {
    id: 'WSG-AWS-011',
    title: 'ECS services get no public IP',
    category: 'aws',
    severity: 'error',
    help: 'Set network_configuration { assign_public_ip = false }: tasks run in private subnets and are reached through the ALB only.',
    equivalents: ids(['CKV_AWS_333'], []),
    check: eachAttr(
      ['aws_ecs_service'],
      'network_configuration',
      (v) => blocks(v).every((b) => bool(b.assign_public_ip) !== true) || 'assign_public_ip is true',
      'no public IP',
    ),
  },
  {
    id: 'WSG-AWS-012',
    title: 'Fargate services run the latest platform version',
    category: 'aws',
    severity: 'warning',
    help: 'Leave platform_version unset or "LATEST" on Fargate services to get the platform security fixes.',
    equivalents: ids(['CKV_AWS_332'], []),
    check: eachAttr(
      ['aws_ecs_service'],
      'platform_version',
      (v, r) =>
        r.values.launch_type !== 'FARGATE' || v === undefined || v === null || v === 'LATEST'
          ? true
          : `platform_version is pinned to ${String(v)}`,
      'LATEST platform',
    ),
  },
  {
    id: 'WSG-AWS-013',
    title: 'ECS task role and execution role differ',
    category: 'aws',
    severity: 'error',
    help: 'Give the task its own role: the execution role can pull images and read secrets, which the application must not.',
    equivalents: ids(['CKV_AWS_249'], []),
    check: eachAttr(
      ['aws_ecs_task_definition'],
      'task_role_arn',
      (v, r) => v === undefined || v !== r.values.execution_role_arn || 'task_role_arn equals execution_role_arn',
      'separate roles',
    ),
  },
  {
    id: 'WSG-AWS-014',
    title: 'No secrets in plain container environment',
    category: 'aws',
    severity: 'error',
    help: 'Pass secrets with the container definition\'s "secrets" (Secrets Manager or SSM), never in "environment": it is readable by anyone who can describe the task definition.',
    equivalents: ids([], ['AVD-AWS-0036']),
    check: (ctx) =>
      eachContainer(
        ctx,
        (c) => {
          const suspicious = [...environmentOf(c).keys()].filter((n) =>
            /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE_KEY|ACCESS_KEY|API_KEY)/i.test(n),
          );
          return suspicious.length === 0 || `container ${c.name ?? '?'} has ${suspicious.join(', ')} in environment`;
        },
        'secrets only in "secrets"',
      ),
  },
  {
    id: 'WSG-AWS-015',
    title: 'Log groups have a retention period',
    category: 'aws',
    severity: 'warning',
    help: 'Set retention_in_days on aws_cloudwatch_log_group (service.logRetentionDays).',
    equivalents: ids(['CKV_AWS_66'], []),
    check: eachAttr(
      ['aws_cloudwatch_log_group'],
      'retention_in_days',
      (v) => (num(v) ?? 0) > 0 || 'retention_in_days is not set (logs are kept forever)',
      'retention set',
    ),
  },
  {
    id: 'WSG-AWS-016',
    title: 'Log groups are encrypted with a KMS key',
    category: 'aws',
    severity: 'warning',
    help: 'Set kms_key_id on aws_cloudwatch_log_group for a key you control (the key policy must admit logs.<region>.amazonaws.com).',
    equivalents: ids(['CKV_AWS_158'], ['AVD-AWS-0017']),
    check: eachAttr(
      ['aws_cloudwatch_log_group'],
      'kms_key_id',
      (v) => (typeof v === 'string' && v !== '') || 'kms_key_id is not set',
      'KMS key',
    ),
  },
  {
    id: 'WSG-AWS-017',
    title: 'Redis requires an AUTH token',
    category: 'aws',
    severity: 'error',
    help: 'Set auth_token (with transit_encryption_enabled) on aws_elasticache_replication_group; the service reads it from REDIS_AUTH_TOKEN.',
    equivalents: ids(['CKV_AWS_31'], []),
    check: eachAttr(
      ['aws_elasticache_replication_group'],
      'auth_token',
      (v, r) =>
        typeof v !== 'string' || v === ''
          ? 'auth_token is not set'
          : bool(r.values.transit_encryption_enabled) === true || 'auth_token without transit_encryption_enabled',
      'AUTH token over TLS',
    ),
  },
  {
    id: 'WSG-AWS-018',
    title: 'Redis is encrypted at rest with a customer managed KMS key',
    category: 'aws',
    severity: 'warning',
    help: 'Set kms_key_id on aws_elasticache_replication_group for a key you control.',
    equivalents: ids(['CKV_AWS_191'], []),
    check: eachAttr(
      ['aws_elasticache_replication_group'],
      'kms_key_id',
      (v) => (typeof v === 'string' && v !== '') || 'kms_key_id is not set (AWS owned key)',
      'customer managed key',
    ),
  },
  {
    id: 'WSG-AWS-019',
    title: 'Secrets Manager secrets are encrypted with a customer managed KMS key',
    category: 'aws',
    severity: 'warning',
    help: 'Set kms_key_id on aws_secretsmanager_secret; the execution role then needs kms:Decrypt on that key.',
    equivalents: ids(['CKV_AWS_149'], ['AVD-AWS-0098']),
    check: eachAttr(
      ['aws_secretsmanager_secret'],
      'kms_key_id',
      (v) => (typeof v === 'string' && v !== '') || 'kms_key_id is not set (aws/secretsmanager key)',
      'customer managed key',
    ),
  },
  {
    id: 'WSG-AWS-020',
    title: 'Security groups and their rules have descriptions',
    category: 'aws',
    severity: 'warning',
    help: 'Describe every security group and rule: reviewers of a plan see why each path is open.',
    equivalents: ids(['CKV_AWS_23'], ['AVD-AWS-0099', 'AVD-AWS-0124']),
    check: ({ model }) => {
      const groups = ofType(model, 'aws_security_group').map((sg) =>
        typeof sg.values.description === 'string' && sg.values.description.trim() !== ''
          ? pass(sg, 'described')
          : fail(sg, 'security group has no description'),
      );
      const rules = securityGroupRules(model).map((r) =>
        r.description !== undefined
          ? pass(r.resource, 'rule described')
          : fail(r.resource, `${r.direction} rule (${ports(r)}) has no description`),
      );
      return [...groups, ...rules];
    },
  },
  {
    id: 'WSG-AWS-021',
    title: 'No unrestricted egress',
    category: 'aws',
    severity: 'warning',
    help: 'Restrict egress to what the group needs (ports, prefix lists, VPC endpoints) instead of 0.0.0.0/0 or ::/0.',
    equivalents: ids(['CKV_AWS_382'], ['AVD-AWS-0104']),
    check: ({ model }) =>
      securityGroupRules(model)
        .filter((r) => r.direction === 'egress')
        .map((r) => {
          const open = r.cidrs.filter((c) => OPEN_CIDRS.has(c));
          return open.length === 0
            ? pass(r.resource, 'egress restricted')
            : fail(r.resource, `egress to ${open.join(', ')} on ${ports(r)}`);
        }),
  },
  {
    id: 'WSG-AWS-022',
    title: 'SNS topics are encrypted',
    category: 'aws',
    severity: 'warning',
    help: 'Set kms_master_key_id on aws_sns_topic (alarms.topicKmsKeyArn); CloudWatch alarms need a customer managed key to publish to it.',
    equivalents: ids(['CKV_AWS_26'], ['AVD-AWS-0095']),
    check: eachAttr(
      ['aws_sns_topic'],
      'kms_master_key_id',
      (v) => (typeof v === 'string' && v !== '') || 'kms_master_key_id is not set',
      'encrypted',
    ),
  },
  {
    id: 'WSG-AWS-023',
    title: 'Target groups define a health check',
    category: 'aws',
    severity: 'error',
    help: "Give HTTP target groups an enabled health_check on the service's /health path so ECS replaces tasks that stop answering.",
    equivalents: ids(['CKV_AWS_261'], []),
    check: eachAttr(
      ['aws_lb_target_group', 'aws_alb_target_group'],
      'health_check',
      (v) =>
        blocks(v).some((h) => bool(h.enabled) !== false && typeof h.path === 'string' && h.path !== '') ||
        'no enabled health check with a path',
      'health check defined',
    ),
  },

  // --- WebSocket rules no scanner knows ---------------------------------------------------------------------
  {
    id: 'WSG-WS-001',
    title: 'ALB idle timeout is at least twice the keepalive interval',
    category: 'websocket',
    severity: 'error',
    help: 'The ALB closes a connection idle for idle_timeout seconds; the service pings every KEEPALIVE_INTERVAL_MS. With less than two pings per idle timeout, one lost ping cuts quiet sockets (clients see 1006).',
    equivalents: ids([], []),
    check: timingRule(['idleTimeoutSeconds'], true),
  },
  {
    id: 'WSG-WS-002',
    title: 'Deregistration delay covers the drain window',
    category: 'websocket',
    severity: 'error',
    help: 'The target group keeps a deregistering task reachable for deregistration_delay seconds; the service needs DRAIN_WINDOW_MS plus one DRAIN_POLL_INTERVAL_MS to close its sockets with 1012 before the ALB cuts what is left.',
    equivalents: ids([], []),
    check: timingRule(['deregistrationDelaySeconds'], true),
  },
  {
    id: 'WSG-WS-003',
    title: 'Stop timeout covers the drain window and shutdown grace',
    category: 'websocket',
    severity: 'error',
    help: "ECS sends SIGKILL stopTimeout seconds after SIGTERM; a SIGTERM-triggered drain needs the drain window plus the contract's shutdown grace (close handshakes, in-flight HTTP).",
    equivalents: ids([], []),
    check: timingRule(['stopTimeoutSeconds'], true),
  },
  {
    id: 'WSG-WS-004',
    title: 'Target groups speak HTTP/1.1 to the tasks',
    category: 'websocket',
    severity: 'error',
    help: 'WebSocket upgrades need HTTP/1.1 between the ALB and the targets: protocol HTTP or HTTPS with protocol_version HTTP1 (HTTP2 and GRPC cannot upgrade).',
    equivalents: ids([], []),
    check: eachAttr(
      ['aws_lb_target_group', 'aws_alb_target_group'],
      'protocol_version',
      (v, r) => {
        const protocol = r.values.protocol;
        if (protocol !== 'HTTP' && protocol !== 'HTTPS') return `protocol is ${String(protocol ?? 'unset')}`;
        return v === undefined || v === null || v === 'HTTP1' || `protocol_version is ${String(v)}, not HTTP1`;
      },
      'HTTP/1.1',
    ),
  },
  {
    id: 'WSG-WS-005',
    title: 'Sticky sessions only when the environment asks for them',
    category: 'websocket',
    severity: 'warning',
    help: 'A WebSocket stays on its task anyway; stickiness only pins later HTTP and SSE requests, and it unbalances tasks after a scale-out. Turn it on with stickinessCookieDurationSeconds, not by hand.',
    equivalents: ids([], []),
    check: ({ model, stickinessRequested }) =>
      ofType(model, 'aws_lb_target_group', 'aws_alb_target_group').map((tg) => {
        if (tg.unknown.has('stickiness')) return unknown(tg, 'stickiness');
        const on = blocks(tg.values.stickiness).some((s) => bool(s.enabled) !== false);
        if (on === stickinessRequested) return pass(tg, on ? 'sticky, as asked' : 'not sticky');
        return fail(
          tg,
          on
            ? 'stickiness is enabled but the environment does not set stickinessCookieDurationSeconds'
            : 'the environment sets stickinessCookieDurationSeconds but stickiness is off',
        );
      }),
  },
  {
    id: 'WSG-WS-006',
    title: 'Timing values are within their ranges',
    category: 'websocket',
    severity: 'error',
    help: 'Each timing value must lie in the range of the container contract (AWS limits where AWS sets one).',
    equivalents: ids([], []),
    check: timingRule([], false),
  },
  {
    id: 'WSG-WS-007',
    title: 'The service is told the ALB idle timeout',
    category: 'websocket',
    severity: 'error',
    help: 'LB_IDLE_TIMEOUT_MS in the task environment must equal the ALB idle_timeout: the service keeps idle HTTP keep-alive connections open longer than it, or the ALB may reuse a closed connection and answer 502.',
    equivalents: ids([], []),
    check: ({ model }) =>
      websocketPaths(model).map((p) => {
        const alb = p.timing.idleTimeoutSeconds;
        const told = p.serviceIdleTimeoutSeconds;
        if (alb === undefined || p.container === undefined) return unknown(p.service, 'idle_timeout');
        return told === alb
          ? pass(p.service, `LB_IDLE_TIMEOUT_MS matches idle_timeout ${alb} s`)
          : fail(
              p.service,
              `LB_IDLE_TIMEOUT_MS is ${told === undefined ? 'unset' : `${told} s`}, ALB idle_timeout ${alb} s`,
            );
      }),
  },

  // --- The project's invariants ------------------------------------------------------------------------------
  {
    id: 'WSG-INV-001',
    title: 'Redis traffic is encrypted in transit',
    category: 'invariant',
    severity: 'error',
    help: 'transit_encryption_enabled on the replication group, and the service connects with rediss:// or REDIS_TLS=true.',
    equivalents: ids(['CKV_AWS_30'], ['AVD-AWS-0051']),
    check: (ctx) => [
      ...eachAttr(
        ['aws_elasticache_replication_group'],
        'transit_encryption_enabled',
        (v) => bool(v) === true || 'transit_encryption_enabled is not true',
        'TLS on',
      )(ctx),
      ...eachContainer(
        ctx,
        (c) => {
          const env = environmentOf(c);
          const url = env.get('REDIS_URL');
          return (
            url === undefined ||
            url.startsWith('rediss://') ||
            env.get('REDIS_TLS') === 'true' ||
            `container ${c.name ?? '?'} connects to Redis without TLS (${url})`
          );
        },
        'Redis client uses TLS',
      ),
    ],
  },
  {
    id: 'WSG-INV-002',
    title: 'Redis data is encrypted at rest',
    category: 'invariant',
    severity: 'error',
    help: 'Set at_rest_encryption_enabled = true on aws_elasticache_replication_group (it cannot be changed later without a new group).',
    equivalents: ids(['CKV_AWS_29'], ['AVD-AWS-0045']),
    check: eachAttr(
      ['aws_elasticache_replication_group'],
      'at_rest_encryption_enabled',
      (v) => bool(v) === true || 'at_rest_encryption_enabled is not true',
      'encrypted at rest',
    ),
  },
  {
    id: 'WSG-INV-003',
    title: 'HTTPS listeners allow TLS 1.2 and newer only',
    category: 'invariant',
    severity: 'error',
    help: 'Use an ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-* or -FS-1-2-* policy; without ssl_policy AWS picks ELBSecurityPolicy-2016-08, which allows TLS 1.0.',
    equivalents: ids(['CKV_AWS_103'], ['AVD-AWS-0047']),
    check: ({ model }) =>
      ofType(model, 'aws_lb_listener', 'aws_alb_listener')
        .filter((l) => l.values.protocol === 'HTTPS' || l.values.protocol === 'TLS')
        .map((l) => {
          if (l.unknown.has('ssl_policy')) return unknown(l, 'ssl_policy');
          const policy = l.values.ssl_policy;
          return typeof policy === 'string' && TLS12_POLICY.test(policy)
            ? pass(l, `ssl_policy ${policy}`)
            : fail(l, `ssl_policy ${String(policy ?? 'unset (ELBSecurityPolicy-2016-08)')} allows TLS below 1.2`);
        }),
  },
  {
    id: 'WSG-INV-004',
    title: 'No ingress from anywhere except 80/443 on the load balancer',
    category: 'invariant',
    severity: 'error',
    help: "Only the ALB's security group may admit 0.0.0.0/0 or ::/0, and only on TCP 80 (redirect) and 443; tasks and Redis admit their peers' security groups.",
    equivalents: ids(['CKV_AWS_260', 'CKV_AWS_24', 'CKV_AWS_25'], ['AVD-AWS-0107']),
    check: ({ model }) => {
      const albGroups = loadBalancerGroups(model);
      return securityGroupRules(model)
        .filter((r) => r.direction === 'ingress')
        .map((r) => {
          const open = r.cidrs.filter((c) => OPEN_CIDRS.has(c));
          if (open.length === 0) return pass(r.resource, 'ingress restricted');
          const webPort =
            r.protocol === 'tcp' &&
            r.fromPort !== undefined &&
            r.fromPort === r.toPort &&
            (r.fromPort === 80 || r.fromPort === 443);
          const onAlb = r.groupAddress !== undefined && albGroups.has(r.groupAddress);
          if (webPort && onAlb) return pass(r.resource, `${ports(r)} open on the load balancer`);
          return fail(
            r.resource,
            `ingress from ${open.join(', ')} on ${ports(r)}${onAlb ? '' : " to a group that is not the load balancer's"}`,
          );
        });
    },
  },
];

export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((r) => r.id));
