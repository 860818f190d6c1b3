import { Construct } from 'constructs';
import { DataAwsSecretsmanagerRandomPassword } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { checkInteger, checkOneOf, checkPattern, checkResourceName, fail } from './validation';

export const REDIS_PORT = 6379;

export interface FanoutRedisProps {
  readonly vpcId: string;
  /** Private subnets for the cache nodes (two or more AZs for failover). */
  readonly subnetIds: string[];
  /**
   * Replication group id and name prefix (1..40 lower-case letters, digits, single hyphens).
   * @default 'ws-graphql'
   */
  readonly name?: string;
  /**
   * Cache node type.
   * @default 'cache.t4g.micro'
   */
  readonly nodeType?: string;
  /**
   * Nodes: one primary plus replicas, 1..6. With 2 or more, automatic failover and Multi-AZ are on.
   * @default 2
   */
  readonly nodeCount?: number;
  /**
   * Redis engine version.
   * @default '7.1'
   */
  readonly engineVersion?: string;
  /**
   * Days of daily snapshots to keep (0..35). Pub/sub fan-out keeps no data worth a snapshot.
   * @default 0
   */
  readonly snapshotRetentionDays?: number;
  /**
   * How ElastiCache applies a changed AUTH token (aws provider 6 requires one whenever a token is set).
   * `ROTATE` adds the new token and keeps accepting the old one, so running tasks stay connected while new
   * ones start with the new token; apply once more with `SET` to drop the old token afterwards.
   * @default 'ROTATE'
   */
  readonly authTokenUpdateStrategy?: 'ROTATE' | 'SET';
}

/**
 * ElastiCache Redis for passing subscription events between tasks: encrypted at rest and in transit, an
 * AUTH token generated into Secrets Manager (the task receives it as an ECS secret), failover with two or
 * more nodes, and a security group that admits only the clients added with `allowClient`.
 */
export class FanoutRedis extends Construct {
  public readonly securityGroup: SecurityGroup;
  public readonly subnetGroup: ElasticacheSubnetGroup;
  public readonly authTokenSecret: SecretsmanagerSecret;
  public readonly authTokenSecretVersion: SecretsmanagerSecretVersion;
  public readonly replicationGroup: ElasticacheReplicationGroup;
  /** ARN to hand to ECS `secrets` (valueFrom): the plain token string. */
  public readonly authTokenSecretArn: string;
  /** `rediss://<primary endpoint>:6379`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: FanoutRedisProps) {
    super(scope, id);
    const owner = this.node.path;
    const name = props.name ?? 'ws-graphql';
    const nodeType = props.nodeType ?? 'cache.t4g.micro';
    const nodeCount = props.nodeCount ?? 2;
    const engineVersion = props.engineVersion ?? '7.1';
    const snapshotRetentionDays = props.snapshotRetentionDays ?? 0;
    const authTokenUpdateStrategy = props.authTokenUpdateStrategy ?? 'ROTATE';

    checkResourceName(owner, 'name', name, 40);
    checkPattern(
      owner,
      'nodeType',
      nodeType,
      /^cache\.[a-z0-9]+\.[a-z0-9]+$/,
      'must be a cache node type such as "cache.t4g.micro"',
    );
    checkInteger(owner, 'nodeCount', nodeCount, 1, 6);
    checkPattern(
      owner,
      'engineVersion',
      engineVersion,
      /^(?:[6-9]|\d{2,})\.\d+$/,
      'must be a Redis version 6.x or later, such as "7.1" (TLS + AUTH need 6+)',
    );
    checkInteger(owner, 'snapshotRetentionDays', snapshotRetentionDays, 0, 35);
    checkOneOf(owner, 'authTokenUpdateStrategy', authTokenUpdateStrategy, ['ROTATE', 'SET'] as const);
    if (nodeCount >= 2 && props.subnetIds.length < 2) {
      fail(
        owner,
        'subnetIds',
        props.subnetIds.join(','),
        `must span at least two AZs for Multi-AZ with nodeCount ${nodeCount}`,
      );
    }

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      namePrefix: `${name}-redis-`,
      description: `Redis ${name}: ${REDIS_PORT} from the service tasks only`,
      vpcId: props.vpcId,
      tags: { Name: `${name}-redis` },
      lifecycle: { createBeforeDestroy: true },
    });

    this.subnetGroup = new ElasticacheSubnetGroup(this, 'SubnetGroup', {
      name,
      description: `Redis ${name}`,
      subnetIds: props.subnetIds,
    });

    this.authTokenSecret = new SecretsmanagerSecret(this, 'AuthTokenSecret', {
      namePrefix: `${name}/redis-auth-token-`,
      description: `AUTH token of Redis ${name} (REDIS_AUTH_TOKEN of the service)`,
    });
    // No `random` provider here: Secrets Manager generates the token. The data source yields a new one on
    // every plan, so the version ignores later changes: the first token stays until rotated on purpose.
    const password = new DataAwsSecretsmanagerRandomPassword(this, 'AuthTokenValue', {
      passwordLength: 64,
      // ElastiCache tokens allow only printable ASCII without @, " and /: letters and digits are safe.
      excludePunctuation: true,
      includeSpace: false,
    });
    this.authTokenSecretVersion = new SecretsmanagerSecretVersion(this, 'AuthTokenSecretVersion', {
      secretId: this.authTokenSecret.id,
      secretString: password.randomPassword,
      lifecycle: { ignoreChanges: ['secret_string'] },
    });

    const failover = nodeCount >= 2;
    this.replicationGroup = new ElasticacheReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupId: name,
      description: `Subscription event fan-out for ${name}`,
      engine: 'redis',
      engineVersion,
      nodeType,
      numCacheClusters: nodeCount,
      port: REDIS_PORT,
      subnetGroupName: this.subnetGroup.name,
      securityGroupIds: [this.securityGroup.id],
      atRestEncryptionEnabled: 'true',
      transitEncryptionEnabled: true,
      // Read from the secret version so the cache and the task always get the same token. Like every
      // attribute here it is stored in the state in plain text: protect the state (see the operations docs).
      authToken: this.authTokenSecretVersion.secretString,
      authTokenUpdateStrategy,
      automaticFailoverEnabled: failover,
      multiAzEnabled: failover,
      snapshotRetentionLimit: snapshotRetentionDays,
    });

    this.authTokenSecretArn = this.authTokenSecret.arn;
    this.url = `rediss://${this.replicationGroup.primaryEndpointAddress}:${REDIS_PORT}`;
  }

  /** Admits `securityGroupId` (the tasks) on the Redis port: the cache's only ingress. */
  public allowClient(id: string, securityGroupId: string): VpcSecurityGroupIngressRule {
    return new VpcSecurityGroupIngressRule(this, id, {
      securityGroupId: this.securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: REDIS_PORT,
      toPort: REDIS_PORT,
      referencedSecurityGroupId: securityGroupId,
      description: 'Redis from the service tasks',
    });
  }
}
