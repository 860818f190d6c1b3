import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { AliasRecords, type AliasRecordsProps } from '../../constructs/alias-records';
import { all, synth } from './helpers';

const base: AliasRecordsProps = {
  zoneId: 'Z0123456789ABCDEFGHIJ',
  domainName: 'api.example.com',
  targetDnsName: 'alb-123.eu-west-1.elb.amazonaws.com',
  targetZoneId: 'Z32O12XQLNTSW2',
};
const build = (props: Partial<AliasRecordsProps> = {}) =>
  synth((scope) => new AliasRecords(scope, 'Dns', { ...base, ...props }));

describe('AliasRecords', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    const alias = { name: base.targetDnsName, zone_id: base.targetZoneId, evaluate_target_health: true };
    test('A alias to the load balancer, in the hosted zone, with the load balancer zone id', () => {
      expect(raw).toHaveResourceWithProperties(Route53Record, {
        zone_id: base.zoneId,
        name: 'api.example.com',
        type: 'A',
        alias,
      });
    });
    test('AAAA alias too', () => {
      expect(raw).toHaveResourceWithProperties(Route53Record, {
        zone_id: base.zoneId,
        name: 'api.example.com',
        type: 'AAAA',
        alias,
      });
      expect(Object.keys(all(json, 'aws_route53_record'))).toHaveLength(2);
    });
  });
  describe('props', () => {
    test('ipv6 false: no AAAA', () => {
      const records = Object.values(all(build({ ipv6: false }).json, 'aws_route53_record'));
      expect(records.map((r) => r.type)).toEqual(['A']);
    });
    test('evaluateTargetHealth false', () => {
      const records = Object.values(all(build({ evaluateTargetHealth: false }).json, 'aws_route53_record'));
      expect(records.map((r) => [r.type, r.alias.evaluate_target_health])).toEqual([
        ['AAAA', false],
        ['A', false],
      ]);
    });
  });
  describe('validation', () => {
    test('domain name syntax', () => {
      expect(() => build({ domainName: 'API.example.com' })).toThrow("Dns: 'domainName' must be a lower-case DNS name");
    });
  });
});
