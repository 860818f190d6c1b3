import { Construct } from 'constructs';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { checkDomainName } from './validation';

export interface AliasRecordsProps {
  /** Hosted zone the records go in. */
  readonly zoneId: string;
  /** Record name (`api.example.com`). */
  readonly domainName: string;
  /** DNS name of the load balancer. */
  readonly targetDnsName: string;
  /** Hosted zone id of the load balancer itself (not the zone the records go in). */
  readonly targetZoneId: string;
  /**
   * Also create an AAAA alias (the load balancer must be dual-stack to answer it).
   * @default true
   */
  readonly ipv6?: boolean;
  /**
   * Let Route53 answer only while the load balancer has healthy targets.
   * @default true
   */
  readonly evaluateTargetHealth?: boolean;
}

/** Route53 A (and AAAA) alias records pointing the domain at the load balancer. */
export class AliasRecords extends Construct {
  public readonly a: Route53Record;
  public readonly aaaa?: Route53Record;

  constructor(scope: Construct, id: string, props: AliasRecordsProps) {
    super(scope, id);
    checkDomainName(this.node.path, 'domainName', props.domainName);
    const alias = {
      name: props.targetDnsName,
      zoneId: props.targetZoneId,
      evaluateTargetHealth: props.evaluateTargetHealth ?? true,
    };
    this.a = new Route53Record(this, 'A', { zoneId: props.zoneId, name: props.domainName, type: 'A', alias });
    if (props.ipv6 ?? true) {
      this.aaaa = new Route53Record(this, 'AAAA', {
        zoneId: props.zoneId,
        name: props.domainName,
        type: 'AAAA',
        alias,
      });
    }
  }
}
