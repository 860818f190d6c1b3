/**
 * Every policy rule has a passing and a failing fixture: the synthesized staging stack, changed the way the
 * rule's scanners would object to (fail) or want it (pass).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS } from '../../config/environments';
import { synthesize } from '../../main';
import { modelFromConfig } from '../../tools/policy/model';
import { RULES } from '../../tools/policy/rules';
import { type Locals, resolveLocals } from '../../tools/locals';

type Doc = { resource: Record<string, Record<string, Record<string, unknown>>>; locals?: Locals };

let base: Doc;
beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-rules-'));
  const { staging } = ENVIRONMENTS;
  if (staging === undefined) throw new Error('staging environment missing');
  synthesize({ staging }, dir);
  base = JSON.parse(fs.readFileSync(path.join(dir, 'stacks/staging/cdk.tf.json'), 'utf8')) as Doc;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The only resource of a type in the document (fails the test if there is not exactly one). */
function one(doc: Doc, type: string): Record<string, unknown> {
  const all = Object.values(doc.resource[type] ?? {});
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0] as Record<string, unknown>;
}

function named(doc: Doc, type: string, nameIncludes: string): Record<string, unknown> {
  const entry = Object.entries(doc.resource[type] ?? {}).find(([n]) => n.includes(nameIncludes));
  if (entry === undefined) throw new Error(`no ${type} named *${nameIncludes}*`);
  return entry[1];
}

/** Edits the task's container definition. */
function container(doc: Doc, edit: (c: Record<string, unknown>) => void): void {
  const td = one(doc, 'aws_ecs_task_definition');
  // Edited as resolved JSON (the timing is read from the stack's locals) and written back literal.
  const list = JSON.parse(resolveLocals(td.container_definitions as string, doc.locals)) as Record<string, unknown>[];
  edit(list[0] as Record<string, unknown>);
  td.container_definitions = JSON.stringify(list);
}

function setEnv(doc: Doc, name: string, value: string | undefined): void {
  container(doc, (c) => {
    const env = (c.environment as { name: string; value: string }[]).filter((e) => e.name !== name);
    if (value !== undefined) env.push({ name, value });
    c.environment = env;
  });
}

const secretsAdded = (doc: Doc): void => setEnv(doc, 'JWT_SECRET', 'hunter2');

/** A rule's two fixtures. `pass` defaults to the unchanged stack; `sticky` says the environment asks for it. */
interface Fixture {
  readonly pass?: (doc: Doc) => void;
  readonly fail: (doc: Doc) => void;
  readonly sticky?: boolean;
}

const ingressRule = (doc: Doc, port: number, sg: string, type = 'aws_vpc_security_group_ingress_rule'): void => {
  doc.resource[type] = doc.resource[type] ?? {};
  const group = `\${aws_security_group.${Object.keys(doc.resource.aws_security_group ?? {}).find((n) => n.includes(sg))}.id}`;
  (doc.resource[type] as Record<string, unknown>).Extra =
    type === 'aws_security_group_rule'
      ? {
          type: 'ingress',
          description: 'x',
          protocol: 'tcp',
          from_port: port,
          to_port: port,
          cidr_blocks: ['0.0.0.0/0'],
          security_group_id: group,
        }
      : {
          description: 'x',
          ip_protocol: 'tcp',
          from_port: port,
          to_port: port,
          cidr_ipv4: '0.0.0.0/0',
          security_group_id: group,
        };
};

const FIXTURES: Record<string, Fixture> = {
  'WSG-AWS-001': { fail: (d) => void (one(d, 'aws_lb').drop_invalid_header_fields = false) },
  'WSG-AWS-002': {
    pass: (d) => void (one(d, 'aws_lb').enable_deletion_protection = true),
    fail: (d) => void delete one(d, 'aws_lb').enable_deletion_protection,
  },
  'WSG-AWS-003': {
    pass: (d) => void (one(d, 'aws_lb').access_logs = { bucket: 'logs', enabled: true }),
    fail: (d) => void (one(d, 'aws_lb').access_logs = { bucket: 'logs', enabled: false }),
  },
  'WSG-AWS-004': {
    fail: (d) =>
      void (named(d, 'aws_lb_listener', 'Http').default_action = [{ type: 'forward', target_group_arn: 'x' }]),
  },
  'WSG-AWS-005': { fail: (d) => void (one(d, 'aws_ecr_repository').image_tag_mutability = 'MUTABLE') },
  'WSG-AWS-006': {
    fail: (d) => void (one(d, 'aws_ecr_repository').image_scanning_configuration = { scan_on_push: false }),
  },
  'WSG-AWS-007': {
    pass: (d) => void (one(d, 'aws_ecr_repository').encryption_configuration = [{ encryption_type: 'KMS' }]),
    fail: (d) => void delete one(d, 'aws_ecr_repository').encryption_configuration,
  },
  'WSG-AWS-008': {
    fail: (d) => void (one(d, 'aws_ecs_cluster').setting = [{ name: 'containerInsights', value: 'disabled' }]),
  },
  'WSG-AWS-009': { fail: (d) => container(d, (c) => void (c.readonlyRootFilesystem = false)) },
  'WSG-AWS-010': { fail: (d) => container(d, (c) => void (c.privileged = true)) },
  'WSG-AWS-011': {
    fail: (d) =>
      void ((one(d, 'aws_ecs_service').network_configuration as Record<string, unknown>).assign_public_ip = true),
  },
  'WSG-AWS-012': { fail: (d) => void (one(d, 'aws_ecs_service').platform_version = '1.3.0') },
  'WSG-AWS-013': {
    fail: (d) =>
      void (one(d, 'aws_ecs_task_definition').task_role_arn = one(d, 'aws_ecs_task_definition').execution_role_arn),
  },
  'WSG-AWS-014': { fail: secretsAdded },
  'WSG-AWS-015': { fail: (d) => void delete one(d, 'aws_cloudwatch_log_group').retention_in_days },
  'WSG-AWS-016': {
    pass: (d) => void (one(d, 'aws_cloudwatch_log_group').kms_key_id = 'arn:aws:kms:eu-west-1:1:key/x'),
    fail: (d) => void delete one(d, 'aws_cloudwatch_log_group').kms_key_id,
  },
  'WSG-AWS-017': { fail: (d) => void delete one(d, 'aws_elasticache_replication_group').auth_token },
  'WSG-AWS-018': {
    pass: (d) => void (one(d, 'aws_elasticache_replication_group').kms_key_id = 'arn:aws:kms:eu-west-1:1:key/x'),
    fail: () => undefined,
  },
  'WSG-AWS-019': {
    pass: (d) => void (one(d, 'aws_secretsmanager_secret').kms_key_id = 'arn:aws:kms:eu-west-1:1:key/x'),
    fail: () => undefined,
  },
  'WSG-AWS-020': {
    fail: (d) => void delete named(d, 'aws_vpc_security_group_ingress_rule', 'IngressFromLoadBalancer').description,
  },
  'WSG-AWS-021': {
    pass: (d) =>
      void Object.assign(named(d, 'aws_vpc_security_group_egress_rule', 'Service_Egress'), {
        ip_protocol: 'tcp',
        from_port: 443,
        to_port: 443,
        cidr_ipv4: '10.0.0.0/16',
      }),
    fail: () => undefined,
  },
  'WSG-AWS-022': {
    pass: (d) => void (d.resource.aws_sns_topic = { T: { name: 't', kms_master_key_id: 'alias/x' } }),
    fail: (d) => void (d.resource.aws_sns_topic = { T: { name: 't' } }),
  },
  'WSG-AWS-023': { fail: (d) => void delete one(d, 'aws_lb_target_group').health_check },
  'WSG-WS-001': { fail: (d) => void (one(d, 'aws_lb').idle_timeout = 20) },
  'WSG-WS-002': { fail: (d) => void (one(d, 'aws_lb_target_group').deregistration_delay = '10') },
  'WSG-WS-003': { fail: (d) => container(d, (c) => void (c.stopTimeout = 20)) },
  'WSG-WS-004': { fail: (d) => void (one(d, 'aws_lb_target_group').protocol_version = 'HTTP2') },
  'WSG-WS-005': {
    fail: (d) =>
      void (one(d, 'aws_lb_target_group').stickiness = { type: 'lb_cookie', enabled: true, cookie_duration: 60 }),
  },
  'WSG-WS-006': { fail: (d) => void (one(d, 'aws_lb').idle_timeout = 5000) },
  'WSG-WS-007': { fail: (d) => setEnv(d, 'LB_IDLE_TIMEOUT_MS', '60000') },
  'WSG-INV-001': { fail: (d) => void (one(d, 'aws_elasticache_replication_group').transit_encryption_enabled = false) },
  'WSG-INV-002': {
    fail: (d) => void (one(d, 'aws_elasticache_replication_group').at_rest_encryption_enabled = 'false'),
  },
  'WSG-INV-003': { fail: (d) => void (named(d, 'aws_lb_listener', 'Https').ssl_policy = 'ELBSecurityPolicy-2016-08') },
  'WSG-INV-004': { fail: (d) => ingressRule(d, 22, 'LoadBalancer') },
};

function evaluate(ruleId: string, edit: ((d: Doc) => void) | undefined, sticky = false) {
  const doc = structuredClone(base);
  edit?.(doc);
  const rule = RULES.find((r) => r.id === ruleId);
  if (rule === undefined) throw new Error(`no rule ${ruleId}`);
  return rule.check({ model: modelFromConfig(doc, 'cdk.tf.json'), stickinessRequested: sticky });
}

test('every rule has fixtures, and every fixture names a rule', () => {
  expect(Object.keys(FIXTURES).sort()).toEqual(RULES.map((r) => r.id).sort());
});

describe.each(RULES.map((r) => [r.id, r.title] as const))('%s %s', (id) => {
  const fixture = FIXTURES[id] as Fixture;
  test('passes its passing fixture', () => {
    const results = evaluate(id, fixture.pass);
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status !== 'pass')).toEqual([]);
  });
  test('fails its failing fixture, naming the resource', () => {
    const failures = evaluate(id, fixture.fail).filter((r) => r.status === 'fail');
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(f.address).toMatch(/^aws_[a-z0-9_]+\.\S+$/);
  });
});

test('stickiness passes when the environment asks for it, and fails when asked but off', () => {
  const sticky = (d: Doc): void =>
    void (one(d, 'aws_lb_target_group').stickiness = { type: 'lb_cookie', enabled: true, cookie_duration: 60 });
  expect(evaluate('WSG-WS-005', sticky, true).map((r) => r.status)).toEqual(['pass']);
  expect(evaluate('WSG-WS-005', undefined, true).map((r) => r.status)).toEqual(['fail']);
});

test('open ingress: 443 on the load balancer passes, 443 on the tasks fails, in both rule resource types', () => {
  for (const type of ['aws_security_group_rule', 'aws_vpc_security_group_ingress_rule']) {
    const onAlb = evaluate('WSG-INV-004', (d) => ingressRule(d, 443, 'LoadBalancer', type));
    expect(onAlb.filter((r) => r.address.endsWith('.Extra')).map((r) => r.status)).toEqual(['pass']);
    const onTasks = evaluate('WSG-INV-004', (d) => ingressRule(d, 443, 'Service_SecurityGroup', type));
    expect(onTasks.filter((r) => r.address.endsWith('.Extra')).map((r) => r.status)).toEqual(['fail']);
  }
});

test("the timing rules report the contract's wording", () => {
  const [result] = evaluate('WSG-WS-001', (d) => void (one(d, 'aws_lb').idle_timeout = 20));
  expect(result?.message).toContain('idleTimeoutSeconds must be at least 2x keepaliveIntervalSeconds (15)');
});
