import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { checkIpv4Cidr, formatIpv4Cidr, ipv4Subnet } from './cidr';
import { checkInteger, checkOneOf, checkPattern, fail, isUnresolved } from './validation';

/** NAT gateways for the private subnets: none, one shared, or one per AZ (survives an AZ outage). */
export type NatGateways = 'none' | 'single' | 'one-per-az';

/** What the rest of the stack needs from a network, whether created here or brought along. */
export interface INetwork {
  readonly vpcId: string;
  /** Subnets with a route to the internet gateway (the ALB goes here). */
  readonly publicSubnetIds: string[];
  /** Subnets the tasks and Redis go in. */
  readonly privateSubnetIds: string[];
  /** The public subnets have IPv6, so the ALB can be dual-stack (and an AAAA record makes sense). */
  readonly dualStack: boolean;
  /**
   * The private subnets have no route to the internet (no NAT): tasks then run in the public subnets
   * with a public IP, or they could not pull their image or write logs.
   */
  readonly privateSubnetsHaveEgress: boolean;
}

export interface NetworkProps {
  /**
   * Prefix of the Name tags.
   * @default 'ws-graphql'
   */
  readonly name?: string;
  /**
   * IPv4 range of the VPC, /16../24. Each subnet gets 1/16 of it (a /20 of a /16).
   * @default '10.0.0.0/16'
   */
  readonly cidrBlock?: string;
  /**
   * Number of availability zones, 2..6 (an ALB needs subnets in at least two). Ignored when
   * `availabilityZones` is given.
   * @default 2
   */
  readonly availabilityZoneCount?: number;
  /**
   * Explicit AZ names (`eu-west-1a`, ...), at least two.
   * @default - the first `availabilityZoneCount` zones of the region that need no opt-in
   */
  readonly availabilityZones?: string[];
  /**
   * NAT gateways for the private subnets.
   * @default 'single'
   */
  readonly natGateways?: NatGateways;
  /**
   * Give the VPC an Amazon-provided IPv6 block and the public subnets IPv6 ranges, so the ALB is
   * dual-stack and answers AAAA.
   * @default true
   */
  readonly ipv6?: boolean;
}

const SUBNET_NEW_BITS = 4; // 16 subnets of equal size
const PRIVATE_NETNUM_OFFSET = 8; // public subnets take netnums 0..5, private 8..13

/** VPC with public and private subnets across AZs, an internet gateway and 0, 1 or one-per-AZ NAT. */
export class Network extends Construct implements INetwork {
  public readonly vpc: Vpc;
  public readonly internetGateway: InternetGateway;
  public readonly publicSubnets: Subnet[] = [];
  public readonly privateSubnets: Subnet[] = [];
  public readonly natGatewayResources: NatGateway[] = [];
  public readonly vpcId: string;
  public readonly publicSubnetIds: string[];
  public readonly privateSubnetIds: string[];
  public readonly dualStack: boolean;
  public readonly privateSubnetsHaveEgress: boolean;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    const owner = this.node.path;
    const name = props.name ?? 'ws-graphql';
    const cidrBlock = props.cidrBlock ?? '10.0.0.0/16';
    const natGateways = props.natGateways ?? 'single';
    this.dualStack = props.ipv6 ?? true;

    const cidr = checkIpv4Cidr(owner, 'cidrBlock', cidrBlock);
    if (cidr && (cidr.prefix < 16 || cidr.prefix > 24)) {
      fail(
        owner,
        'cidrBlock',
        cidrBlock,
        'must have a prefix length in /16../24 (AWS allows /16../28 for a VPC; subnets here are 1/16 of it)',
      );
    }
    checkOneOf(owner, 'natGateways', natGateways, ['none', 'single', 'one-per-az'] as const);

    let azNames: string[];
    if (props.availabilityZones !== undefined) {
      const zones = props.availabilityZones;
      if (zones.length < 2 || zones.length > 6) {
        fail(
          owner,
          'availabilityZones',
          zones.join(','),
          'must list 2..6 availability zones (an ALB needs at least two)',
        );
      }
      zones.forEach((z, i) =>
        checkPattern(
          owner,
          `availabilityZones[${i}]`,
          z,
          /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/,
          'must be an AZ name such as "eu-west-1a"',
        ),
      );
      if (new Set(zones).size !== zones.length) {
        fail(owner, 'availabilityZones', zones.join(','), 'must not list the same zone twice');
      }
      azNames = zones;
    } else {
      const count = props.availabilityZoneCount ?? 2;
      checkInteger(owner, 'availabilityZoneCount', count, 2, 6);
      const available = new DataAwsAvailabilityZones(this, 'AvailabilityZones', {
        state: 'available',
        // Local and Wavelength zones need opt-in and cannot host an ALB in every region.
        filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
        // element() wraps around: without this check a small region would get two subnets in one AZ,
        // which the ALB refuses only at apply time.
        lifecycle: {
          postcondition: [
            {
              condition: `\${length(self.names) >= ${count}}`,
              errorMessage: `${owner}: 'availabilityZoneCount' is ${count} but the region has fewer zones without opt-in; lower it or list availabilityZones.`,
            },
          ],
        },
      });
      azNames = Array.from({ length: count }, (_, i) => Fn.element(available.names, i));
    }

    this.vpc = new Vpc(this, 'Vpc', {
      cidrBlock,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      assignGeneratedIpv6CidrBlock: this.dualStack,
      tags: { Name: name },
    });
    this.internetGateway = new InternetGateway(this, 'InternetGateway', {
      vpcId: this.vpc.id,
      tags: { Name: name },
    });

    const subnetCidr = (netNum: number): string =>
      cidr
        ? formatIpv4Cidr(ipv4Subnet(cidr, SUBNET_NEW_BITS, netNum))
        : Fn.cidrsubnet(cidrBlock, SUBNET_NEW_BITS, netNum);

    const publicRouteTable = new RouteTable(this, 'PublicRouteTable', {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-public` },
    });
    new Route(this, 'PublicDefaultRoute', {
      routeTableId: publicRouteTable.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: this.internetGateway.id,
    });
    if (this.dualStack) {
      new Route(this, 'PublicDefaultRouteIpv6', {
        routeTableId: publicRouteTable.id,
        destinationIpv6CidrBlock: '::/0',
        gatewayId: this.internetGateway.id,
      });
    }

    azNames.forEach((az, i) => {
      // Ids carry the AZ's position (1-based), as aws-cdk does: they must stay stable per index.
      const subnet = new Subnet(this, `PublicSubnet${i + 1}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: subnetCidr(i),
        ...(this.dualStack
          ? { ipv6CidrBlock: Fn.cidrsubnet(this.vpc.ipv6CidrBlock, 8, i), assignIpv6AddressOnCreation: false }
          : {}),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-public-${i + 1}` },
      });
      new RouteTableAssociation(this, `PublicSubnet${i + 1}RouteTable`, {
        subnetId: subnet.id,
        routeTableId: publicRouteTable.id,
      });
      this.publicSubnets.push(subnet);
    });

    const natCount = natGateways === 'none' ? 0 : natGateways === 'single' ? 1 : azNames.length;
    for (let i = 0; i < natCount; i++) {
      const eip = new Eip(this, `NatEip${i + 1}`, { domain: 'vpc', tags: { Name: `${name}-nat-${i + 1}` } });
      this.natGatewayResources.push(
        new NatGateway(this, `NatGateway${i + 1}`, {
          allocationId: eip.allocationId,
          subnetId: this.publicSubnets[i].id,
          tags: { Name: `${name}-nat-${i + 1}` },
          dependsOn: [this.internetGateway],
        }),
      );
    }

    azNames.forEach((az, i) => {
      const subnet = new Subnet(this, `PrivateSubnet${i + 1}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: subnetCidr(PRIVATE_NETNUM_OFFSET + i),
        tags: { Name: `${name}-private-${i + 1}` },
      });
      // One route table per private subnet so each can use the NAT of its own AZ.
      const routeTable = new RouteTable(this, `PrivateSubnet${i + 1}RouteTable`, {
        vpcId: this.vpc.id,
        tags: { Name: `${name}-private-${i + 1}` },
      });
      if (natCount > 0) {
        new Route(this, `PrivateSubnet${i + 1}DefaultRoute`, {
          routeTableId: routeTable.id,
          destinationCidrBlock: '0.0.0.0/0',
          natGatewayId: this.natGatewayResources[Math.min(i, natCount - 1)].id,
        });
      }
      new RouteTableAssociation(this, `PrivateSubnet${i + 1}RouteTableAssociation`, {
        subnetId: subnet.id,
        routeTableId: routeTable.id,
      });
      this.privateSubnets.push(subnet);
    });

    this.vpcId = this.vpc.id;
    this.publicSubnetIds = this.publicSubnets.map((s) => s.id);
    this.privateSubnetIds = this.privateSubnets.map((s) => s.id);
    this.privateSubnetsHaveEgress = natCount > 0;
  }
}

export interface ExistingNetworkProps {
  readonly vpcId: string;
  /** At least two, in different AZs, routed to an internet gateway. */
  readonly publicSubnetIds: string[];
  /** At least two, in different AZs. */
  readonly privateSubnetIds: string[];
  /**
   * The public subnets have IPv6 ranges, so the ALB can be dual-stack.
   * @default false
   */
  readonly dualStack?: boolean;
  /**
   * The private subnets reach the internet (NAT, or VPC endpoints for ECR, logs and Secrets Manager).
   * @default true
   */
  readonly privateSubnetsHaveEgress?: boolean;
}

/** Checks a brought-along network (`owner` names the construct that receives it) and returns it. */
export function existingNetwork(owner: string, props: ExistingNetworkProps): INetwork {
  checkPattern(
    owner,
    'existingNetwork.vpcId',
    props.vpcId,
    /^vpc-[0-9a-f]{8,17}$/,
    'must be a VPC id such as "vpc-0123456789abcdef0"',
  );
  for (const key of ['publicSubnetIds', 'privateSubnetIds'] as const) {
    const ids = props[key];
    const literal = ids.filter((s) => !isUnresolved(s));
    if (ids.length < 2 && literal.length === ids.length) {
      fail(
        owner,
        `existingNetwork.${key}`,
        ids.join(','),
        'must list at least two subnets in different AZs (an ALB needs two AZs)',
      );
    }
    literal.forEach((s, i) =>
      checkPattern(
        owner,
        `existingNetwork.${key}[${i}]`,
        s,
        /^subnet-[0-9a-f]{8,17}$/,
        'must be a subnet id such as "subnet-0123456789abcdef0"',
      ),
    );
    if (new Set(ids).size !== ids.length) {
      fail(owner, `existingNetwork.${key}`, ids.join(','), 'must not list the same subnet twice');
    }
  }
  return {
    vpcId: props.vpcId,
    publicSubnetIds: [...props.publicSubnetIds],
    privateSubnetIds: [...props.privateSubnetIds],
    dualStack: props.dualStack ?? false,
    privateSubnetsHaveEgress: props.privateSubnetsHaveEgress ?? true,
  };
}
