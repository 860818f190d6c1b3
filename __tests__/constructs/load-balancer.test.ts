import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { WebSocketLoadBalancer, type WebSocketLoadBalancerProps } from '../../constructs/load-balancer';
import { all, only, ref, securityGroupRules, synth } from './helpers';

const base: WebSocketLoadBalancerProps = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
  certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
  targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/1',
};
const build = (props: Partial<WebSocketLoadBalancerProps> = {}) =>
  synth((scope) => new WebSocketLoadBalancer(scope, 'Alb', { ...base, ...props }));
const ingress = (json: ReturnType<typeof build>['json']) =>
  securityGroupRules(json).filter((r) => r.direction === 'ingress');

describe('WebSocketLoadBalancer', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    test('internet-facing application load balancer in the given subnets with its security group', () => {
      expect(raw).toHaveResourceWithProperties(Lb, {
        name: 'ws-graphql',
        internal: false,
        load_balancer_type: 'application',
        subnets: base.subnetIds,
        security_groups: [ref(json, 'aws_security_group', 'id')],
      });
    });
    test('idle timeout raised for WebSockets (120 s, from the default timing)', () => {
      expect(raw).toHaveResourceWithProperties(Lb, { idle_timeout: 120 });
    });
    test('drop_invalid_header_fields on', () => {
      expect(raw).toHaveResourceWithProperties(Lb, { drop_invalid_header_fields: true });
    });
    test('deletion protection off', () => {
      expect(raw).toHaveResourceWithProperties(Lb, { enable_deletion_protection: false });
    });
    test('IPv4 only', () => {
      expect(raw).toHaveResourceWithProperties(Lb, { ip_address_type: 'ipv4' });
    });
    test('no access logs', () => {
      expect(only(json, 'aws_lb').access_logs).toBeUndefined();
      expect(raw).not.toHaveResource(S3Bucket);
    });
    test(':80 redirects to HTTPS with 301', () => {
      expect(raw).toHaveResourceWithProperties(LbListener, {
        load_balancer_arn: ref(json, 'aws_lb', 'arn'),
        port: 80,
        protocol: 'HTTP',
        default_action: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' } }],
      });
    });
    test(':443 terminates TLS 1.2+ with the certificate and forwards to the target group', () => {
      expect(raw).toHaveResourceWithProperties(LbListener, {
        load_balancer_arn: ref(json, 'aws_lb', 'arn'),
        port: 443,
        protocol: 'HTTPS',
        ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        certificate_arn: base.certificateArn,
        default_action: [{ type: 'forward', target_group_arn: base.targetGroupArn }],
      });
    });
    test('80 and 443 open to 0.0.0.0/0, nothing else in, no egress until a target is added', () => {
      const sg = ref(json, 'aws_security_group', 'id');
      expect(
        ingress(json).map((r) => [
          r.from_port,
          r.to_port,
          r.ip_protocol,
          r.cidr_ipv4,
          r.cidr_ipv6,
          r.security_group_id,
        ]),
      ).toEqual([
        [80, 80, 'tcp', '0.0.0.0/0', undefined, sg],
        [443, 443, 'tcp', '0.0.0.0/0', undefined, sg],
      ]);
      expect(securityGroupRules(json).filter((r) => r.direction === 'egress')).toEqual([]);
      expect(only(json, 'aws_security_group').egress).toBeUndefined();
    });
  });

  describe('props', () => {
    test('name', () => {
      expect(build({ name: 'api-prod' }).raw).toHaveResourceWithProperties(Lb, { name: 'api-prod' });
    });
    test('idleTimeoutSeconds', () => {
      expect(build({ idleTimeoutSeconds: 600 }).raw).toHaveResourceWithProperties(Lb, { idle_timeout: 600 });
    });
    test('deletionProtection', () => {
      expect(build({ deletionProtection: true }).raw).toHaveResourceWithProperties(Lb, {
        enable_deletion_protection: true,
      });
    });
    test('ingressCidrs: one rule per CIDR and port', () => {
      const { json } = build({ ingressCidrs: ['203.0.113.0/24', '198.51.100.0/24'] });
      // Sorted: the JSON lists resources by logical id.
      expect(
        ingress(json)
          .map((r) => [r.from_port, r.cidr_ipv4])
          .sort(),
      ).toEqual([
        [443, '198.51.100.0/24'],
        [443, '203.0.113.0/24'],
        [80, '198.51.100.0/24'],
        [80, '203.0.113.0/24'],
      ]);
    });
    test('removing one CIDR leaves the other rules (same logical ids and bodies)', () => {
      const both = all(
        build({ ingressCidrs: ['203.0.113.0/24', '198.51.100.0/24'] }).json,
        'aws_vpc_security_group_ingress_rule',
      );
      const one = all(build({ ingressCidrs: ['198.51.100.0/24'] }).json, 'aws_vpc_security_group_ingress_rule');
      expect(Object.keys(one)).toHaveLength(2);
      for (const [id, body] of Object.entries(one)) expect(both[id]).toEqual(body);
    });
    test('dualStack: dualstack ALB, ::/0 admitted by default', () => {
      const { raw, json } = build({ dualStack: true });
      expect(raw).toHaveResourceWithProperties(Lb, { ip_address_type: 'dualstack' });
      expect(
        ingress(json)
          .map((r) => [r.from_port, r.cidr_ipv4 ?? r.cidr_ipv6])
          .sort(),
      ).toEqual([
        [443, '0.0.0.0/0'],
        [443, '::/0'],
        [80, '0.0.0.0/0'],
        [80, '::/0'],
      ]);
    });
    test('ingressIpv6Cidrs', () => {
      const { json } = build({ dualStack: true, ingressIpv6Cidrs: ['2001:db8::/32'] });
      expect(
        ingress(json)
          .filter((r) => r.cidr_ipv6 !== undefined)
          .map((r) => [r.from_port, r.cidr_ipv6]),
      ).toEqual([
        [80, '2001:db8::/32'],
        [443, '2001:db8::/32'],
      ]);
    });
    test('sslPolicy', () => {
      expect(build({ sslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06' }).raw).toHaveResourceWithProperties(LbListener, {
        ssl_policy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
      });
    });
    test('accessLogs with an existing bucket', () => {
      const { raw } = build({ accessLogs: { bucketName: 'my-logs', prefix: 'alb' } });
      expect(raw).toHaveResourceWithProperties(Lb, {
        access_logs: { bucket: 'my-logs', prefix: 'alb', enabled: true },
      });
      expect(raw).not.toHaveResource(S3Bucket);
    });
    test('accessLogs without a bucket: a private, encrypted bucket that ELB may write to, before the ALB', () => {
      const { raw, json } = build({ accessLogs: {} });
      const bucket = ref(json, 'aws_s3_bucket', 'bucket');
      expect(raw).toHaveResourceWithProperties(Lb, { access_logs: { bucket, prefix: 'ws-graphql', enabled: true } });
      expect(only(json, 'aws_s3_bucket').bucket_prefix).toBe('ws-graphql-logs-');
      expect(only(json, 'aws_s3_bucket_public_access_block')).toMatchObject({
        block_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(
        only(json, 'aws_s3_bucket_server_side_encryption_configuration').rule[0].apply_server_side_encryption_by_default
          .sse_algorithm,
      ).toBe('AES256');
      expect(only(json, 'aws_s3_bucket_lifecycle_configuration').rule[0].expiration).toEqual([{ days: 90 }]);
      const policy = JSON.parse(only(json, 'aws_s3_bucket_policy').policy);
      expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
        'ElbAccountDelivery',
        'ElbServiceDelivery',
        'TlsOnly',
      ]);
      expect(policy.Statement[0].Principal.AWS).toBe(ref(json, 'aws_elb_service_account', 'arn', '', 'data'));
      expect(only(json, 'aws_lb').depends_on).toEqual([ref(json, 'aws_s3_bucket_policy', 'id').slice(2, -4)]);
    });
    test.each([
      ['ap-southeast-4', false],
      ['me-central-1', false],
      ['eu-west-1', true],
    ])('accessLogs in %s: the regional ELB account is looked up only where it exists (%s)', (region, elbAccount) => {
      const { json } = build({ accessLogs: {}, region });
      const policy = JSON.parse(only(json, 'aws_s3_bucket_policy').policy);
      const sids = policy.Statement.map((s: { Sid: string }) => s.Sid);
      expect(sids).toEqual(
        elbAccount ? ['ElbAccountDelivery', 'ElbServiceDelivery', 'TlsOnly'] : ['ElbServiceDelivery', 'TlsOnly'],
      );
      expect(Object.keys(json.data?.aws_elb_service_account ?? {})).toHaveLength(elbAccount ? 1 : 0);
    });
    test('accessLogs.retentionDays', () => {
      const { json } = build({ accessLogs: { retentionDays: 7 } });
      expect(only(json, 'aws_s3_bucket_lifecycle_configuration').rule[0].expiration).toEqual([{ days: 7 }]);
    });
    test('allowTrafficTo adds the only egress: to the target security group on its port', () => {
      const { raw, json } = synth((scope) => {
        new WebSocketLoadBalancer(scope, 'Alb', base).allowTrafficTo('ToTasks', 'sg-0123456789abcdef0', 4000);
      });
      expect(raw).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
        security_group_id: ref(json, 'aws_security_group', 'id'),
        referenced_security_group_id: 'sg-0123456789abcdef0',
        ip_protocol: 'tcp',
        from_port: 4000,
        to_port: 4000,
      });
    });
  });

  describe('validation', () => {
    test('name <= 32 characters', () => {
      expect(() => build({ name: 'a'.repeat(33) })).toThrow(
        "Alb: 'name' must be 1..32 characters long for a load balancer name (it has 33)",
      );
    });
    test('name characters', () => {
      expect(() => build({ name: 'api_prod' })).toThrow(/'name' may contain only letters, digits and hyphens/);
    });
    test('name must not start with internal-', () => {
      expect(() => build({ name: 'internal-api' })).toThrow(/'name' must not start with "internal-"/);
    });
    test('idle timeout 1..4000', () => {
      expect(() => build({ idleTimeoutSeconds: 4001 })).toThrow(
        /'idleTimeoutSeconds' must be an integer in 1\.\.4000 \(got 4001\)/,
      );
    });
    test('at least two subnets', () => {
      expect(() => build({ subnetIds: ['subnet-0123456789abcdef0'] })).toThrow(
        /'subnetIds' must list subnets in at least two availability zones/,
      );
    });
    test('IPv4 CIDR syntax', () => {
      expect(() => build({ ingressCidrs: ['10.0.0.0/33'] })).toThrow(
        /'ingressCidrs\[0\]' must be an IPv4 CIDR block.*\(got "10\.0\.0\.0\/33"\)/,
      );
    });
    test('IPv6 CIDR syntax', () => {
      expect(() => build({ dualStack: true, ingressIpv6Cidrs: ['2001:db8::1'] })).toThrow(
        /'ingressIpv6Cidrs\[0\]' must be an IPv6 CIDR block/,
      );
    });
    test('IPv6 ranges need dual-stack', () => {
      expect(() => build({ ingressIpv6Cidrs: ['::/0'] })).toThrow(/'ingressIpv6Cidrs' needs dualStack: true/);
    });
    test('at least one range', () => {
      expect(() => build({ ingressCidrs: [] })).toThrow(/'ingressCidrs' must allow at least one range/);
    });
    test('TLS policy must be TLS 1.2+', () => {
      expect(() => build({ sslPolicy: 'ELBSecurityPolicy-2016-08' as never })).toThrow(/'sslPolicy' must be one of/);
    });
    test('access log prefix', () => {
      expect(() => build({ accessLogs: { prefix: 'AWSLogs/x' } })).toThrow(/'accessLogs\.prefix'/);
    });
    test('access log bucket name', () => {
      expect(() => build({ accessLogs: { bucketName: 'My_Bucket' } })).toThrow(
        /'accessLogs\.bucketName' must be an S3 bucket name/,
      );
    });
    test('retention only for a created bucket', () => {
      expect(() => build({ accessLogs: { bucketName: 'my-logs', retentionDays: 3 } })).toThrow(
        /'accessLogs\.retentionDays' applies only to a bucket created here/,
      );
    });
    test('retention range', () => {
      expect(() => build({ accessLogs: { retentionDays: 0 } })).toThrow(
        /'accessLogs\.retentionDays' must be an integer in 1\.\.3650/,
      );
    });
  });
});
