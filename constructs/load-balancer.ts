import { Construct } from 'constructs';
import { DataAwsElbServiceAccount } from '@cdktf/provider-aws/lib/data-aws-elb-service-account';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { checkIpv4Cidr, checkIpv6Cidr } from './cidr';
import { TIMING_DEFAULTS } from '../service/src/container-contract';
import { checkElbName, checkInteger, checkOneOf, checkPattern, fail } from './validation';

/** ALB TLS policies that allow TLS 1.2 and 1.3 only. */
export type TlsPolicy =
  | 'ELBSecurityPolicy-TLS13-1-2-2021-06'
  | 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06'
  | 'ELBSecurityPolicy-TLS13-1-3-2021-06';
const TLS_POLICIES: readonly TlsPolicy[] = [
  'ELBSecurityPolicy-TLS13-1-2-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
  'ELBSecurityPolicy-TLS13-1-3-2021-06',
];

export interface LoadBalancerAccessLogs {
  /**
   * Existing bucket to write to (its policy must let ELB log delivery write).
   * @default - a new encrypted, private bucket with the log delivery policy
   */
  readonly bucketName?: string;
  /**
   * Key prefix of the log objects.
   * @default - the load balancer name
   */
  readonly prefix?: string;
  /**
   * Days a created bucket keeps logs (1..3650). Not used with `bucketName`.
   * @default 90
   */
  readonly retentionDays?: number;
}

export interface WebSocketLoadBalancerProps {
  readonly vpcId: string;
  /** Public subnets in at least two AZs. */
  readonly subnetIds: string[];
  /** Certificate for the HTTPS listener: pass the ARN from the validation so the listener waits for it. */
  readonly certificateArn: string;
  /** Where the HTTPS listener forwards. */
  readonly targetGroupArn: string;
  /**
   * Load balancer name (1..32 letters, digits, hyphens; not starting with "internal-").
   * @default 'ws-graphql'
   */
  readonly name?: string;
  /**
   * Seconds a connection may stay silent before the ALB closes it (1..4000; AWS default 60). Comes from
   * the WebSocket timing so it stays at least twice the keepalive.
   * @default TIMING_DEFAULTS.idleTimeoutSeconds (120)
   */
  readonly idleTimeoutSeconds?: number;
  /**
   * Refuse deletion through the API (and `terraform destroy`) until turned off.
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * IPv4 ranges allowed to reach ports 80 and 443.
   * @default ['0.0.0.0/0']
   */
  readonly ingressCidrs?: string[];
  /**
   * IPv6 ranges allowed to reach ports 80 and 443 (dual-stack only).
   * @default - ['::/0'] when dualStack, else []
   */
  readonly ingressIpv6Cidrs?: string[];
  /**
   * Dual-stack ALB (IPv4 + IPv6); the subnets need IPv6 ranges.
   * @default false
   */
  readonly dualStack?: boolean;
  /**
   * TLS policy of the HTTPS listener (TLS 1.2+ only).
   * @default 'ELBSecurityPolicy-TLS13-1-2-2021-06'
   */
  readonly sslPolicy?: TlsPolicy;
  /**
   * Write access logs to S3.
   * @default - no access logs
   */
  readonly accessLogs?: LoadBalancerAccessLogs;
  /**
   * The stack's region. With access logs to a bucket created here, it decides who may write the logs:
   * regions opened before August 2022 deliver from a regional ELB account (looked up with
   * `data.aws_elb_service_account`, which knows only those regions), newer ones from a service principal.
   * @default - unknown: the bucket policy admits both, which fails at plan in a region opened since
   */
  readonly region?: string;
}

/** Regions whose ALBs deliver access logs from a regional ELB account (opened before August 2022). */
const ELB_ACCOUNT_REGIONS = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ca-central-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-north-1',
  'me-south-1',
  'sa-east-1',
  'us-gov-west-1',
  'us-gov-east-1',
  'cn-north-1',
  'cn-northwest-1',
]);

/**
 * Internet-facing ALB for WebSockets: raised idle timeout, invalid headers dropped, :80 redirecting to
 * :443 with 301, :443 terminating TLS 1.2+ and forwarding to the target group. Its security group admits
 * 80/443 from the given ranges; egress is added per target with `allowTrafficTo`.
 */
export class WebSocketLoadBalancer extends Construct {
  public readonly securityGroup: SecurityGroup;
  public readonly loadBalancer: Lb;
  public readonly httpListener: LbListener;
  public readonly httpsListener: LbListener;
  /** The bucket created for access logs, if any. */
  public readonly accessLogsBucket?: S3Bucket;
  public readonly arn: string;
  /** `app/<name>/<id>`: the CloudWatch `LoadBalancer` dimension. */
  public readonly arnSuffix: string;
  public readonly dnsName: string;
  /** The ALB's own hosted zone id: the one alias records must name. */
  public readonly zoneId: string;
  public readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: WebSocketLoadBalancerProps) {
    super(scope, id);
    const owner = this.node.path;
    const name = props.name ?? 'ws-graphql';
    const idleTimeoutSeconds = props.idleTimeoutSeconds ?? TIMING_DEFAULTS.idleTimeoutSeconds;
    const dualStack = props.dualStack ?? false;
    const ingressCidrs = props.ingressCidrs ?? ['0.0.0.0/0'];
    const ingressIpv6Cidrs = props.ingressIpv6Cidrs ?? (dualStack ? ['::/0'] : []);
    const sslPolicy = props.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06';

    checkElbName(owner, 'name', name, 'load balancer');
    checkInteger(owner, 'idleTimeoutSeconds', idleTimeoutSeconds, 1, 4000);
    checkOneOf(owner, 'sslPolicy', sslPolicy, TLS_POLICIES);
    ingressCidrs.forEach((c, i) => checkIpv4Cidr(owner, `ingressCidrs[${i}]`, c));
    ingressIpv6Cidrs.forEach((c, i) => checkIpv6Cidr(owner, `ingressIpv6Cidrs[${i}]`, c));
    if (ingressIpv6Cidrs.length > 0 && !dualStack) {
      fail(
        owner,
        'ingressIpv6Cidrs',
        ingressIpv6Cidrs.join(','),
        'needs dualStack: true (an IPv4-only ALB has no IPv6 address)',
      );
    }
    if (ingressCidrs.length + ingressIpv6Cidrs.length === 0) {
      fail(owner, 'ingressCidrs', '', 'must allow at least one range, or nobody can reach the load balancer');
    }
    if (props.subnetIds.length < 2) {
      fail(owner, 'subnetIds', props.subnetIds.join(','), 'must list subnets in at least two availability zones');
    }

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      namePrefix: `${name}-alb-`,
      description: `Load balancer ${name}: 80/443 in, container port out to the tasks`,
      vpcId: props.vpcId,
      tags: { Name: `${name}-alb` },
      lifecycle: { createBeforeDestroy: true },
    });
    // One rule per port and CIDR, its id derived from the CIDR: adding or removing a range adds or removes
    // that rule only, where a CIDR list in one rule would be replaced as a whole.
    for (const [ruleId, port] of [
      ['HttpIngress', 80],
      ['HttpsIngress', 443],
    ] as const) {
      const ranges = [
        ...ingressCidrs.map((cidr) => ({ cidrIpv4: cidr })),
        ...ingressIpv6Cidrs.map((cidr) => ({ cidrIpv6: cidr })),
      ];
      for (const range of ranges) {
        const cidr = 'cidrIpv4' in range ? `v4-${range.cidrIpv4}` : `v6-${range.cidrIpv6}`;
        new VpcSecurityGroupIngressRule(this, `${ruleId}-${cidr.replace(/[.:/]/g, '-')}`, {
          securityGroupId: this.securityGroup.id,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          ...range,
          description: port === 80 ? 'HTTP (redirected to HTTPS)' : 'HTTPS and WSS',
        });
      }
    }

    let accessLogs: { bucket: string; prefix: string; enabled: boolean } | undefined;
    let accessLogsPolicy: S3BucketPolicy | undefined;
    if (props.accessLogs) {
      const prefix = props.accessLogs.prefix ?? name;
      checkPattern(
        owner,
        'accessLogs.prefix',
        prefix,
        /^(?!\/)(?!.*\/$)(?!.*AWSLogs)[\x21-\x7e]{1,100}$/,
        'must be 1..100 printable characters, not starting or ending with "/" and without "AWSLogs"',
      );
      let bucket = props.accessLogs.bucketName;
      if (bucket === undefined) {
        const created = this.createAccessLogsBucket(name, props.accessLogs.retentionDays ?? 90, props.region);
        this.accessLogsBucket = created.bucket;
        accessLogsPolicy = created.policy;
        bucket = created.bucket.bucket;
      } else {
        checkPattern(
          owner,
          'accessLogs.bucketName',
          bucket,
          /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
          'must be an S3 bucket name (3..63 lower-case letters, digits, dots, hyphens)',
        );
        if (props.accessLogs.retentionDays !== undefined) {
          fail(
            owner,
            'accessLogs.retentionDays',
            props.accessLogs.retentionDays,
            'applies only to a bucket created here; drop it or drop bucketName',
          );
        }
      }
      accessLogs = { bucket, prefix, enabled: true };
    }

    this.loadBalancer = new Lb(this, 'LoadBalancer', {
      name,
      internal: false,
      loadBalancerType: 'application',
      ipAddressType: dualStack ? 'dualstack' : 'ipv4',
      subnets: props.subnetIds,
      securityGroups: [this.securityGroup.id],
      idleTimeout: idleTimeoutSeconds,
      dropInvalidHeaderFields: true,
      enableDeletionProtection: props.deletionProtection ?? false,
      ...(accessLogs ? { accessLogs } : {}),
      // The bucket policy must exist before the ALB checks that it may write.
      ...(accessLogsPolicy ? { dependsOn: [accessLogsPolicy] } : {}),
    });

    this.httpListener = new LbListener(this, 'HttpListener', {
      loadBalancerArn: this.loadBalancer.arn,
      port: 80,
      protocol: 'HTTP',
      defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
    });
    this.httpsListener = new LbListener(this, 'HttpsListener', {
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy,
      certificateArn: props.certificateArn,
      defaultAction: [{ type: 'forward', targetGroupArn: props.targetGroupArn }],
    });

    this.arn = this.loadBalancer.arn;
    this.arnSuffix = this.loadBalancer.arnSuffix;
    this.dnsName = this.loadBalancer.dnsName;
    this.zoneId = this.loadBalancer.zoneId;
    this.securityGroupId = this.securityGroup.id;
  }

  /** Lets the ALB open connections to `securityGroupId` on `port` (its only egress). */
  public allowTrafficTo(id: string, securityGroupId: string, port: number): VpcSecurityGroupEgressRule {
    checkInteger(this.node.path, 'port', port, 1, 65535);
    return new VpcSecurityGroupEgressRule(this, id, {
      securityGroupId: this.securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: securityGroupId,
      description: 'To the targets',
    });
  }

  private createAccessLogsBucket(
    name: string,
    retentionDays: number,
    region: string | undefined,
  ): { bucket: S3Bucket; policy: S3BucketPolicy } {
    checkInteger(this.node.path, 'accessLogs.retentionDays', retentionDays, 1, 3650);
    // S3 allows a 37-character prefix and lower case only; ALB names allow 32 characters of either case.
    const bucket = new S3Bucket(this, 'AccessLogsBucket', { bucketPrefix: `${name.toLowerCase().slice(0, 27)}-logs-` });
    new S3BucketPublicAccessBlock(this, 'AccessLogsBucketPublicAccessBlock', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'AccessLogsBucketOwnership', {
      bucket: bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    // ALB access logs support only SSE-S3.
    new S3BucketServerSideEncryptionConfigurationA(this, 'AccessLogsBucketEncryption', {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    new S3BucketLifecycleConfiguration(this, 'AccessLogsBucketLifecycle', {
      bucket: bucket.id,
      rule: [{ id: 'expire-logs', status: 'Enabled', filter: [{ prefix: '' }], expiration: [{ days: retentionDays }] }],
    });
    // Regions older than August 2022 deliver from a regional ELB account, newer ones from a service principal;
    // the ELB account data source fails in the newer regions, so it is only looked up where it exists.
    const accountDelivery =
      region === undefined || ELB_ACCOUNT_REGIONS.has(region)
        ? [
            {
              Sid: 'ElbAccountDelivery',
              Effect: 'Allow',
              Principal: { AWS: new DataAwsElbServiceAccount(this, 'ElbServiceAccount').arn },
              Action: 's3:PutObject',
              Resource: `${bucket.arn}/*`,
            },
          ]
        : [];
    const policy = new S3BucketPolicy(this, 'AccessLogsBucketPolicy', {
      bucket: bucket.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          ...accountDelivery,
          {
            Sid: 'ElbServiceDelivery',
            Effect: 'Allow',
            Principal: { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: `${bucket.arn}/*`,
          },
          {
            Sid: 'TlsOnly',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [bucket.arn, `${bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    });
    return { bucket, policy };
  }
}
