/**
 * Synth-time checks for the AWS limits that would otherwise only fail at `terraform apply`.
 *
 * Every message names the construct (its path), the prop, the value it got and what is allowed, in the
 * same shape as `resolveTiming` in timing.ts: `<path>: '<prop>' <rule> (got <value>)`.
 * Values that are unresolved tokens (references to other resources, variables) are skipped: they are only
 * known at apply time.
 */
import { Token } from 'cdktf';
import { ConfigError } from './config-error';

export { ConfigError };

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

export function fail(owner: string, prop: string, value: unknown, rule: string): never {
  throw new ConfigError(`${owner}: '${prop}' ${rule} (got ${show(value)})`);
}

/** True for values only known at apply time (tokens), which synth-time checks must leave alone. */
export function isUnresolved(value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number') && Token.isUnresolved(value);
}

export function checkInteger(owner: string, prop: string, value: number, min: number, max: number): void {
  if (isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(owner, prop, value, `must be an integer in ${min}..${max}`);
  }
}

export function checkOneOf<T>(owner: string, prop: string, value: T, allowed: readonly T[]): void {
  if (isUnresolved(value)) return;
  if (!allowed.includes(value)) {
    fail(owner, prop, value, `must be one of ${allowed.map(show).join(', ')}`);
  }
}

export function checkPattern(owner: string, prop: string, value: string, pattern: RegExp, rule: string): void {
  if (isUnresolved(value)) return;
  if (!pattern.test(value)) fail(owner, prop, value, rule);
}

/**
 * ALB and target group names: 1..32 characters, letters, digits and hyphens, not starting or ending with
 * a hyphen; an ALB name may not start with `internal-` (AWS reserves it).
 */
export function checkElbName(owner: string, prop: string, value: string, kind: 'load balancer' | 'target group'): void {
  if (isUnresolved(value)) return;
  if (value.length < 1 || value.length > 32) {
    fail(owner, prop, value, `must be 1..32 characters long for a ${kind} name (it has ${value.length})`);
  }
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(value)) {
    fail(owner, prop, value, `may contain only letters, digits and hyphens, and must not start or end with a hyphen`);
  }
  if (kind === 'load balancer' && value.toLowerCase().startsWith('internal-')) {
    fail(owner, prop, value, `must not start with "internal-" (reserved by AWS)`);
  }
}

/** A DNS name such as `api.example.com` (lower-case labels of 1..63 letters, digits and hyphens). */
export function checkDomainName(owner: string, prop: string, value: string): void {
  if (isUnresolved(value)) return;
  const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
  const pattern = new RegExp(`^(?:\\*\\.)?(?:${label}\\.)+${label}$`);
  if (value.length > 253 || !pattern.test(value)) {
    fail(
      owner,
      prop,
      value,
      'must be a lower-case DNS name such as "api.example.com" (labels of letters, digits, hyphens)',
    );
  }
}

/** Strips one trailing dot and lower-cases, so `Example.com.` and `example.com` compare equal. */
export function normalizeDomain(value: string): string {
  return value.replace(/\.$/, '').toLowerCase();
}

/** True when `domain` is the zone apex or a name under it. */
export function isInZone(domain: string, zoneName: string): boolean {
  const d = normalizeDomain(domain).replace(/^\*\./, '');
  const z = normalizeDomain(zoneName);
  return d === z || d.endsWith(`.${z}`);
}

export function checkInZone(owner: string, prop: string, domain: string, zoneName: string): void {
  if (isUnresolved(domain) || isUnresolved(zoneName)) return;
  if (!isInZone(domain, zoneName)) {
    fail(owner, prop, domain, `must be "${normalizeDomain(zoneName)}" or a name under it (the hosted zone)`);
  }
}

/**
 * Fargate's valid task cpu/memory pairs (MiB), from the ECS developer guide "Task CPU and memory".
 * Keyed by cpu units; the values are every memory size allowed with it.
 */
export const FARGATE_CPU_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: steps(1024, 4096, 1024),
  1024: steps(2048, 8192, 1024),
  2048: steps(4096, 16384, 1024),
  4096: steps(8192, 30720, 1024),
  8192: steps(16384, 61440, 4096),
  16384: steps(32768, 122880, 8192),
};

function steps(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export function checkFargateCpuMemory(owner: string, cpu: number, memory: number): void {
  if (isUnresolved(cpu) || isUnresolved(memory)) return;
  const memories = FARGATE_CPU_MEMORY[cpu];
  if (!memories) {
    fail(owner, 'cpu', cpu, `must be a Fargate cpu size: one of ${Object.keys(FARGATE_CPU_MEMORY).join(', ')}`);
  }
  if (!memories.includes(memory)) {
    const first = memories[0];
    const last = memories[memories.length - 1];
    const stepText = memories.length > 3 ? `${first}..${last} in steps of ${memories[1] - first}` : memories.join(', ');
    fail(owner, 'memory', memory, `is not a valid Fargate memory size for cpu ${cpu}: allowed ${stepText} (MiB)`);
  }
}

/** CloudWatch Logs accepts only these retention periods (days); 0 keeps logs forever. */
export const LOG_RETENTION_DAYS = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Desired/min/max task counts: integers, min <= desired <= max, max >= 1. `prefix` is the props path. */
export function checkCounts(
  owner: string,
  counts: { readonly desiredCount: number; readonly minCount: number; readonly maxCount: number },
  prefix = '',
): void {
  const limit = 5000; // ECS tasks per service
  checkInteger(owner, `${prefix}minCount`, counts.minCount, 0, limit);
  checkInteger(owner, `${prefix}maxCount`, counts.maxCount, 1, limit);
  checkInteger(owner, `${prefix}desiredCount`, counts.desiredCount, 0, limit);
  if (counts.minCount > counts.maxCount) {
    fail(owner, `${prefix}minCount`, counts.minCount, `must be <= ${prefix}maxCount (${counts.maxCount})`);
  }
  if (counts.desiredCount < counts.minCount || counts.desiredCount > counts.maxCount) {
    fail(
      owner,
      `${prefix}desiredCount`,
      counts.desiredCount,
      `must be in ${prefix}minCount..${prefix}maxCount (${counts.minCount}..${counts.maxCount})`,
    );
  }
}

/** Resource names shared by several AWS services: lower-case letters, digits, single hyphens. */
export function checkResourceName(owner: string, prop: string, value: string, maxLength: number): void {
  if (isUnresolved(value)) return;
  if (value.length < 1 || value.length > maxLength) {
    fail(owner, prop, value, `must be 1..${maxLength} characters long (it has ${value.length})`);
  }
  if (!/^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/.test(value)) {
    fail(
      owner,
      prop,
      value,
      'must start with a lower-case letter and contain only lower-case letters, digits and single hyphens, not ending with a hyphen',
    );
  }
}

/** An IAM, Secrets Manager or SNS ARN as far as it can be checked without knowing the account. */
export function checkArn(owner: string, prop: string, value: string, service: string): void {
  if (isUnresolved(value)) return;
  const pattern = new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]*:\\d{12}:.+$`);
  if (!pattern.test(value)) {
    fail(owner, prop, value, `must be an ARN of the form arn:aws:${service}:<region>:<account-id>:...`);
  }
}
