import { Construct } from 'constructs';
import { TerraformIterator, Token } from 'cdktf';
import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { checkDomainName, checkInZone, fail } from './validation';

export type CertificateKeyAlgorithm = 'RSA_2048' | 'EC_prime256v1' | 'EC_secp384r1';

export interface DnsValidatedCertificateProps {
  /** The name the certificate is for (`api.example.com`). */
  readonly domainName: string;
  /** Hosted zone the DNS validation records are written to. */
  readonly zoneId: string;
  /**
   * Name of that zone, when known: every name on the certificate is then checked to be inside it.
   * @default - no check
   */
  readonly zoneName?: string;
  /**
   * More names on the same certificate, in the same zone.
   * @default []
   */
  readonly subjectAlternativeNames?: string[];
  /**
   * Key algorithm of the certificate.
   * @default 'RSA_2048'
   */
  readonly keyAlgorithm?: CertificateKeyAlgorithm;
}

/**
 * ACM certificate validated through DNS records in Route53, and the validation resource that waits for
 * ACM to issue it. Consumers use `certificateArn`, which is the validation's output, so a listener that
 * uses it is only created once the certificate is issued.
 */
export class DnsValidatedCertificate extends Construct {
  public readonly certificate: AcmCertificate;
  /** One record per distinct validation name (for_each over the certificate's domain_validation_options). */
  public readonly validationRecords: Route53Record;
  public readonly validation: AcmCertificateValidation;
  /** The ARN of the issued certificate (from `aws_acm_certificate_validation`). */
  public readonly certificateArn: string;

  constructor(scope: Construct, id: string, props: DnsValidatedCertificateProps) {
    super(scope, id);
    const owner = this.node.path;
    const sans = props.subjectAlternativeNames ?? [];

    checkDomainName(owner, 'domainName', props.domainName);
    sans.forEach((san, i) => checkDomainName(owner, `subjectAlternativeNames[${i}]`, san));
    if (props.zoneName !== undefined) {
      checkInZone(owner, 'domainName', props.domainName, props.zoneName);
      sans.forEach((san, i) => checkInZone(owner, `subjectAlternativeNames[${i}]`, san, props.zoneName!));
    }
    if (sans.includes(props.domainName) || new Set(sans).size !== sans.length) {
      fail(owner, 'subjectAlternativeNames', sans.join(','), 'must not repeat domainName or one another');
    }
    if (sans.length > 9) {
      fail(
        owner,
        'subjectAlternativeNames',
        sans.length,
        'must have at most 9 names (ACM quota of 10 names per certificate)',
      );
    }

    this.certificate = new AcmCertificate(this, 'Certificate', {
      domainName: props.domainName,
      ...(sans.length > 0 ? { subjectAlternativeNames: sans } : {}),
      validationMethod: 'DNS',
      keyAlgorithm: props.keyAlgorithm ?? 'RSA_2048',
      // A replaced certificate must exist before the listener lets go of the old one.
      lifecycle: { createBeforeDestroy: true },
    });

    // Keyed by the domain names of the configuration, not by domain_validation_options: a certificate that
    // is replaced (a SAN added) has unknown options until apply, and for_each keys must be known at plan.
    const domains = [props.domainName, ...sans];
    const address = `${this.certificate.terraformResourceType}.${this.certificate.friendlyUniqueId}`;
    const option = (attribute: string) =>
      `\${{ for o in ${address}.domain_validation_options : o.domain_name => o }[each.key].${attribute}}`;
    this.validationRecords = new Route53Record(this, 'ValidationRecord', {
      forEach: TerraformIterator.fromList(domains),
      zoneId: props.zoneId,
      name: option('resource_record_name'),
      type: option('resource_record_type'),
      records: [option('resource_record_value')],
      ttl: 60,
      // `example.com` and `*.example.com` share one validation record; also lets a re-created
      // certificate take over a record left by an earlier one.
      allowOverwrite: true,
    });

    this.validation = new AcmCertificateValidation(this, 'Validation', {
      certificateArn: this.certificate.arn,
      // A replaced certificate's validation must complete before the listener moves to it.
      lifecycle: { createBeforeDestroy: true },
      validationRecordFqdns: Token.asList(
        TerraformIterator.fromResources(this.validationRecords).pluckProperty('fqdn'),
      ),
    });
    this.certificateArn = this.validation.certificateArn;
  }
}
