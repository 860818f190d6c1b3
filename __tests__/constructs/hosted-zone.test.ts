import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone';
import { HostedZone, type HostedZoneProps } from '../../constructs/hosted-zone';
import { ref, synth } from './helpers';

const build = (props: HostedZoneProps) => {
  let zone!: HostedZone;
  const out = synth((scope) => {
    zone = new HostedZone(scope, 'Zone', props);
  });
  return { ...out, zone };
};

describe('HostedZone', () => {
  test('zoneName: a public-zone lookup by name whose zone_id is used', () => {
    const { raw, json, zone } = build({ zoneName: 'Example.com.' });
    expect(raw).toHaveDataSourceWithProperties(DataAwsRoute53Zone, { name: 'example.com', private_zone: false });
    expect(zone.zoneName).toBe('example.com');
    expect(ref(json, 'aws_route53_zone', 'zone_id', '', 'data')).toMatch(
      /^\$\{data\.aws_route53_zone\.Zone_Lookup_[0-9A-F]{8}\.zone_id\}$/,
    );
  });
  test('zoneId: used as is, no lookup, no name', () => {
    const { raw, zone } = build({ zoneId: 'Z0123456789ABCDEFGHIJ' });
    expect(raw).not.toHaveDataSource(DataAwsRoute53Zone);
    expect(zone.zoneId).toBe('Z0123456789ABCDEFGHIJ');
    expect(zone.zoneName).toBeUndefined();
  });
  test('exactly one of zoneName / zoneId', () => {
    expect(() => build({})).toThrow("Zone: 'zoneName/zoneId' exactly one must be set");
    expect(() => build({ zoneName: 'example.com', zoneId: 'Z1' })).toThrow(/exactly one must be set/);
  });
  test('zoneId syntax', () => {
    expect(() => build({ zoneId: 'example.com' })).toThrow(/'zoneId' must be a Route53 zone id/);
  });
  test('zoneName syntax', () => {
    expect(() => build({ zoneName: 'exa mple.com' })).toThrow(/'zoneName' must be a lower-case DNS name/);
  });
});
