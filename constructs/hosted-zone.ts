import { Construct } from 'constructs';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone';
import { checkDomainName, checkPattern, fail, normalizeDomain } from './validation';

export interface HostedZoneProps {
  /**
   * Public hosted zone to look up by name (`example.com`). Knowing the name lets synth check that the
   * service's domain is inside the zone.
   * @default - none; then `zoneId` is required
   */
  readonly zoneName?: string;
  /**
   * Hosted zone id (`Z0123456789ABCDEFGHIJ`), used as is, no lookup.
   * @default - none; then `zoneName` is required
   */
  readonly zoneId?: string;
}

/** A public Route53 hosted zone, looked up by name or given by id. Creates nothing. */
export class HostedZone extends Construct {
  /** The zone id records and validation records go in. */
  public readonly zoneId: string;
  /** The zone's name when given (normalized, no trailing dot); undefined when only the id is known. */
  public readonly zoneName?: string;
  /** The lookup, when the zone is given by name. */
  public readonly lookup?: DataAwsRoute53Zone;

  constructor(scope: Construct, id: string, props: HostedZoneProps) {
    super(scope, id);
    const owner = this.node.path;
    if ((props.zoneName === undefined) === (props.zoneId === undefined)) {
      fail(
        owner,
        'zoneName/zoneId',
        `${props.zoneName ?? 'undefined'}/${props.zoneId ?? 'undefined'}`,
        'exactly one must be set: the hosted zone is looked up by name or given by id',
      );
    }
    if (props.zoneId !== undefined) {
      checkPattern(
        owner,
        'zoneId',
        props.zoneId,
        /^Z[A-Z0-9]{1,31}$/,
        'must be a Route53 zone id such as "Z0123456789ABCDEFGHIJ"',
      );
      this.zoneId = props.zoneId;
    } else {
      const zoneName = normalizeDomain(props.zoneName!);
      checkDomainName(owner, 'zoneName', zoneName);
      this.zoneName = zoneName;
      this.lookup = new DataAwsRoute53Zone(this, 'Lookup', { name: zoneName, privateZone: false });
      this.zoneId = this.lookup.zoneId;
    }
  }
}
