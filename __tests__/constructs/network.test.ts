import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { existingNetwork, Network, type NetworkProps } from '../../constructs/network';
import { all, only, ref, synth } from './helpers';

const build = (props?: NetworkProps) => synth((scope) => new Network(scope, 'Network', props));
const subnets = (json: ReturnType<typeof build>['json'], kind: 'Public' | 'Private') =>
  Object.entries(all(json, 'aws_subnet'))
    .filter(([id]) => id.startsWith(`Network_${kind}Subnet`))
    .map(([, s]) => s);

describe('Network', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    test('VPC 10.0.0.0/16 with DNS and an IPv6 block', () => {
      expect(raw).toHaveResourceWithProperties(Vpc, {
        cidr_block: '10.0.0.0/16',
        enable_dns_support: true,
        enable_dns_hostnames: true,
        assign_generated_ipv6_cidr_block: true,
      });
    });
    test('two AZs from the region, excluding opt-in zones', () => {
      const azs = only(json, 'aws_availability_zones', 'data');
      expect(azs).toMatchObject({
        state: 'available',
        filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
      });
      // Checked at plan time: the region must have as many zones as asked for.
      expect(azs.lifecycle.postcondition).toEqual([
        {
          condition: '${length(self.names) >= 2}',
          error_message: expect.stringContaining("'availabilityZoneCount' is 2"),
        },
      ]);
      const names = ref(json, 'aws_availability_zones', 'names', '', 'data').slice(2, -1);
      expect(subnets(json, 'Public').map((s) => s.availability_zone)).toEqual([
        `\${element(${names}, 0)}`,
        `\${element(${names}, 1)}`,
      ]);
      expect(subnets(json, 'Private').map((s) => s.availability_zone)).toEqual([
        `\${element(${names}, 0)}`,
        `\${element(${names}, 1)}`,
      ]);
    });
    test('public subnets take the first /20s and get IPv6 ranges', () => {
      expect(subnets(json, 'Public').map((s) => [s.cidr_block, s.map_public_ip_on_launch])).toEqual([
        ['10.0.0.0/20', false],
        ['10.0.16.0/20', false],
      ]);
      expect(subnets(json, 'Public')[1].ipv6_cidr_block).toBe(
        `\${cidrsubnet(${ref(json, 'aws_vpc', 'ipv6_cidr_block').slice(2, -1)}, 8, 1)}`,
      );
    });
    test('private subnets take /20s from the upper half, without IPv6', () => {
      expect(subnets(json, 'Private').map((s) => s.cidr_block)).toEqual(['10.0.128.0/20', '10.0.144.0/20']);
      expect(subnets(json, 'Private').map((s) => s.ipv6_cidr_block)).toEqual([undefined, undefined]);
    });
    test('the public route table sends 0.0.0.0/0 and ::/0 to the internet gateway', () => {
      const igw = ref(json, 'aws_internet_gateway', 'id');
      const table = ref(json, 'aws_route_table', 'id', 'PublicRouteTable');
      expect(raw).toHaveResourceWithProperties(Route, {
        route_table_id: table,
        destination_cidr_block: '0.0.0.0/0',
        gateway_id: igw,
      });
      expect(raw).toHaveResourceWithProperties(Route, {
        route_table_id: table,
        destination_ipv6_cidr_block: '::/0',
        gateway_id: igw,
      });
    });
    test('one NAT gateway, in the first public subnet, used by both private route tables', () => {
      const nat = only(json, 'aws_nat_gateway');
      expect(nat.subnet_id).toBe(ref(json, 'aws_subnet', 'id', 'PublicSubnet1'));
      expect(nat.allocation_id).toBe(ref(json, 'aws_eip', 'allocation_id'));
      expect(nat.depends_on).toEqual([ref(json, 'aws_internet_gateway', 'id').slice(2, -4)]);
      const privateRoutes = Object.values(all(json, 'aws_route')).filter((r) => r.nat_gateway_id);
      expect(privateRoutes.map((r) => r.nat_gateway_id)).toEqual(Array(2).fill(ref(json, 'aws_nat_gateway', 'id')));
    });
    test('every subnet is associated with a route table', () => {
      expect(Object.keys(all(json, 'aws_route_table_association'))).toHaveLength(4);
    });
  });

  describe('props', () => {
    test('cidrBlock', () => {
      const { raw, json } = build({ cidrBlock: '172.20.0.0/20' });
      expect(raw).toHaveResourceWithProperties(Vpc, { cidr_block: '172.20.0.0/20' });
      expect(subnets(json, 'Private').map((s) => s.cidr_block)).toEqual(['172.20.8.0/24', '172.20.9.0/24']);
    });
    test('availabilityZoneCount', () => {
      const { json } = build({ availabilityZoneCount: 3 });
      expect(subnets(json, 'Public')).toHaveLength(3);
      expect(subnets(json, 'Private').map((s) => s.cidr_block)).toEqual([
        '10.0.128.0/20',
        '10.0.144.0/20',
        '10.0.160.0/20',
      ]);
    });
    test('availabilityZones', () => {
      const { raw, json } = build({ availabilityZones: ['eu-west-1b', 'eu-west-1c'] });
      expect(all(json, 'aws_availability_zones', 'data')).toEqual({});
      expect(raw).toHaveResourceWithProperties(Subnet, { availability_zone: 'eu-west-1c', cidr_block: '10.0.16.0/20' });
    });
    test("natGateways 'none': no NAT, no default route for private subnets", () => {
      const { raw, json } = build({ natGateways: 'none' });
      expect(raw).not.toHaveResource(NatGateway);
      expect(Object.values(all(json, 'aws_route')).filter((r) => r.nat_gateway_id)).toHaveLength(0);
    });
    test("natGateways 'one-per-az': each private subnet routes through the NAT of its AZ", () => {
      const { json } = build({ natGateways: 'one-per-az', availabilityZoneCount: 3 });
      expect(Object.keys(all(json, 'aws_nat_gateway'))).toHaveLength(3);
      for (const n of [1, 2, 3]) {
        const route = Object.entries(all(json, 'aws_route')).find(([id]) =>
          id.startsWith(`Network_PrivateSubnet${n}DefaultRoute`),
        )![1];
        expect(route.nat_gateway_id).toBe(ref(json, 'aws_nat_gateway', 'id', `NatGateway${n}`));
      }
    });
    test('ipv6 false: IPv4 only', () => {
      const { raw, json } = build({ ipv6: false });
      expect(raw).toHaveResourceWithProperties(Vpc, { assign_generated_ipv6_cidr_block: false });
      expect(Object.values(all(json, 'aws_route')).some((r) => r.destination_ipv6_cidr_block)).toBe(false);
      expect(subnets(json, 'Public').some((s) => s.ipv6_cidr_block)).toBe(false);
    });
    test('name tags', () => {
      expect(build({ name: 'demo' }).raw).toHaveResourceWithProperties(Subnet, { tags: { Name: 'demo-private-2' } });
    });
  });

  describe('validation', () => {
    test('cidrBlock syntax', () => {
      expect(() => build({ cidrBlock: '10.0.0.0' })).toThrow(
        'Network: \'cidrBlock\' must be an IPv4 CIDR block such as "10.0.0.0/16"',
      );
    });
    test('cidrBlock prefix /16../24', () => {
      expect(() => build({ cidrBlock: '10.0.0.0/8' })).toThrow(
        /'cidrBlock' must have a prefix length in \/16\.\.\/24.*\(got "10\.0\.0\.0\/8"\)/,
      );
    });
    test('at least two AZs', () => {
      expect(() => build({ availabilityZoneCount: 1 })).toThrow(
        /'availabilityZoneCount' must be an integer in 2\.\.6 \(got 1\)/,
      );
      expect(() => build({ availabilityZones: ['eu-west-1a'] })).toThrow(
        /'availabilityZones' must list 2\.\.6 availability zones/,
      );
    });
    test('AZ names', () => {
      expect(() => build({ availabilityZones: ['eu-west-1a', 'west'] })).toThrow(
        /'availabilityZones\[1\]' must be an AZ name/,
      );
    });
    test('no duplicate AZs', () => {
      expect(() => build({ availabilityZones: ['eu-west-1a', 'eu-west-1a'] })).toThrow(
        /must not list the same zone twice/,
      );
    });
    test('natGateways value', () => {
      expect(() => build({ natGateways: 'two' as never })).toThrow(
        /'natGateways' must be one of "none", "single", "one-per-az" \(got "two"\)/,
      );
    });
  });
});

describe('existingNetwork', () => {
  const good = {
    vpcId: 'vpc-0123456789abcdef0',
    publicSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    privateSubnetIds: ['subnet-0123456789abcdef2', 'subnet-0123456789abcdef3'],
  };
  test('defaults: IPv4 only, private subnets with egress', () => {
    expect(existingNetwork('X', good)).toEqual({ ...good, dualStack: false, privateSubnetsHaveEgress: true });
  });
  test('dualStack and privateSubnetsHaveEgress are passed on', () => {
    expect(existingNetwork('X', { ...good, dualStack: true, privateSubnetsHaveEgress: false })).toMatchObject({
      dualStack: true,
      privateSubnetsHaveEgress: false,
    });
  });
  test('vpc id syntax', () => {
    expect(() => existingNetwork('X', { ...good, vpcId: 'vpc1' })).toThrow(
      "X: 'existingNetwork.vpcId' must be a VPC id",
    );
  });
  test('at least two public subnets', () => {
    expect(() => existingNetwork('X', { ...good, publicSubnetIds: ['subnet-0123456789abcdef0'] })).toThrow(
      /'existingNetwork\.publicSubnetIds' must list at least two subnets/,
    );
  });
  test('subnet id syntax', () => {
    expect(() => existingNetwork('X', { ...good, privateSubnetIds: ['subnet-0123456789abcdef2', 'sn-2'] })).toThrow(
      /'existingNetwork\.privateSubnetIds\[1\]' must be a subnet id/,
    );
  });
  test('no duplicate subnets', () => {
    expect(() =>
      existingNetwork('X', { ...good, privateSubnetIds: ['subnet-0123456789abcdef2', 'subnet-0123456789abcdef2'] }),
    ).toThrow(/must not list the same subnet twice/);
  });
});
