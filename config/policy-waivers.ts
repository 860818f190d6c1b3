/**
 * Accepted policy failures, per environment (the keys of config/environments.ts). `npm run policy` reports a
 * waived failure as waived, not failed; an unknown rule id or a waiver without a reason is an error.
 * docs/handoff-and-policy.md explains each one.
 */
export interface PolicyWaiver {
  /** Rule id, e.g. 'WSG-AWS-002'. */
  readonly rule: string;
  /**
   * Limit the waiver to one resource: its address (`aws_lb.Service_LoadBalancer_D381012F`) or construct path
   * without the stack (`Service/LoadBalancer`, which covers everything below it).
   * @default - every resource the rule checks in this environment
   */
  readonly resource?: string;
  /** Why the failure is accepted, for the reviewer. Required. */
  readonly reason: string;
}

/** Failures both environments accept, for the same reasons. */
const SHARED: readonly PolicyWaiver[] = [
  {
    rule: 'WSG-AWS-003',
    reason:
      'The example environments do not turn on ALB access logs (loadBalancer.accessLogs creates an encrypted S3 bucket with retention): the service logs every WebSocket connection, operation and close itself. Turn them on where an audit needs a record at the load balancer.',
  },
  {
    rule: 'WSG-AWS-007',
    reason:
      'ECR encrypts images at rest with AES-256 (AWS managed). Who may pull is decided by IAM (the task execution role), not by the key, and the image holds no secrets (they reach the task from Secrets Manager at start); a customer managed KMS key would add per-pull KMS requests and a key policy to maintain.',
  },
  {
    rule: 'WSG-AWS-016',
    reason:
      'CloudWatch Logs encrypts log data at rest with AWS managed keys. The service logs connection, drain and Redis events (client addresses, origins, token subjects, error messages), never tokens or message payloads, so a customer managed key is not required.',
  },
  {
    rule: 'WSG-AWS-018',
    reason:
      "Redis holds the fan-out messages and, for resumable subscriptions, recent events per topic: about service.history.maxEvents of them, expiring service.history.ttlSeconds after the topic's last event, with no snapshots (redis.snapshotRetentionDays 0). That is minutes of what every subscriber already received, encrypted at rest with the AWS owned key (WSG-INV-002) and in transit with TLS (WSG-INV-001); a customer managed key would add cost and a key policy without protecting more.",
  },
  {
    rule: 'WSG-AWS-019',
    reason:
      "The only secret the stack creates is the Redis AUTH token; of the stack's roles only the task execution role may read it, and the aws/secretsmanager key encrypts it at rest. A customer managed key is for cross-account access or key-level audit, which this stack does not need; the token is in the Terraform state as well, so the state is what to guard.",
  },
  {
    rule: 'WSG-AWS-021',
    resource: 'Service/Service',
    reason:
      "The tasks reach ECR, Secrets Manager, CloudWatch Logs and, when JWT_JWKS_URL is set, the key set's host through the NAT gateway; those have no fixed addresses and the stack creates no VPC endpoints, so task egress must be open. Ingress stays closed to all but the load balancer (WSG-INV-004).",
  },
  {
    rule: 'WSG-AWS-022',
    reason:
      'The alarm topic carries alarm state changes only (no customer data). CloudWatch alarms can publish to an encrypted topic only with a customer managed key whose policy admits cloudwatch.amazonaws.com; set alarms.topicKmsKeyArn to such a key to encrypt it.',
  },
];

export const POLICY_WAIVERS: Readonly<Record<string, readonly PolicyWaiver[]>> = {
  staging: [
    ...SHARED,
    {
      rule: 'WSG-AWS-002',
      reason:
        'Staging is torn down and rebuilt freely; deletion protection would make `terraform destroy` fail. Production keeps it on.',
    },
  ],
  production: SHARED,
};
