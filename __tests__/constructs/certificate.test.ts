import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { DnsValidatedCertificate, type DnsValidatedCertificateProps } from '../../constructs/certificate';
import { only, ref, synth } from './helpers';

const base = { domainName: 'api.example.com', zoneId: 'Z0123456789ABCDEFGHIJ' };
const build = (props: Partial<DnsValidatedCertificateProps> = {}) =>
  synth((scope) => new DnsValidatedCertificate(scope, 'Cert', { ...base, ...props }));

describe('DnsValidatedCertificate', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    test('DNS-validated RSA certificate for the domain, without SANs', () => {
      expect(raw).toHaveResourceWithProperties(AcmCertificate, {
        domain_name: 'api.example.com',
        validation_method: 'DNS',
        key_algorithm: 'RSA_2048',
      });
      expect(only(json, 'aws_acm_certificate').subject_alternative_names).toBeUndefined();
    });
    test('create_before_destroy', () => {
      expect(raw).toHaveResourceWithProperties(AcmCertificate, { lifecycle: { create_before_destroy: true } });
    });
    test('validation records are keyed by the configured domains (known at plan even when the certificate is replaced), never [0]', () => {
      const record = only(json, 'aws_route53_record');
      const options = `${ref(json, 'aws_acm_certificate', 'domain_validation_options').slice(2, -1)}`;
      const option = (attribute: string) => `\${{ for o in ${options} : o.domain_name => o }[each.key].${attribute}}`;
      expect(record.for_each).toBe('${toset(["api.example.com"])}');
      expect(record).toMatchObject({
        name: option('resource_record_name'),
        type: option('resource_record_type'),
        records: [option('resource_record_value')],
        zone_id: base.zoneId,
        ttl: 60,
        allow_overwrite: true,
      });
      expect(raw).not.toMatch(/domain_validation_options\[0\]|domain_validation_options\.0/);
    });
    test('the validation is created before a replaced one goes, so the listener moves to a validated certificate', () => {
      expect(only(json, 'aws_acm_certificate_validation').lifecycle).toEqual({ create_before_destroy: true });
    });
    test('the validation waits for every record and the exposed ARN is the validated one', () => {
      const validation = only(json, 'aws_acm_certificate_validation');
      const records = ref(json, 'aws_route53_record', 'fqdn').split('.').slice(0, 2).join('.').slice(2);
      expect(validation.certificate_arn).toBe(ref(json, 'aws_acm_certificate', 'arn'));
      expect(validation.validation_record_fqdns).toBe(`\${[ for key, val in ${records}: val.fqdn]}`);
    });
  });

  describe('props', () => {
    test('subjectAlternativeNames are on the certificate and validated by the same for_each', () => {
      const { raw, json } = build({ subjectAlternativeNames: ['ws.example.com', '*.api.example.com'] });
      expect(raw).toHaveResourceWithProperties(AcmCertificate, {
        subject_alternative_names: ['ws.example.com', '*.api.example.com'],
      });
      expect(Object.keys(json.resource.aws_route53_record)).toHaveLength(1);
      expect(only(json, 'aws_route53_record').for_each).toBe(
        '${toset(["api.example.com", "ws.example.com", "*.api.example.com"])}',
      );
    });
    test('keyAlgorithm', () => {
      expect(build({ keyAlgorithm: 'EC_prime256v1' }).raw).toHaveResourceWithProperties(AcmCertificate, {
        key_algorithm: 'EC_prime256v1',
      });
    });
    test('zoneName allows names inside the zone', () => {
      expect(() => build({ zoneName: 'example.com', subjectAlternativeNames: ['example.com'] })).not.toThrow();
    });
    test('certificateArn, used elsewhere, refers to the validation (so users wait for issuance)', () => {
      const { json } = synth((scope) => {
        const cert = new DnsValidatedCertificate(scope, 'Cert', base);
        new LbListener(scope, 'Listener', {
          loadBalancerArn: 'arn',
          certificateArn: cert.certificateArn,
          defaultAction: [],
        });
      });
      expect(only(json, 'aws_lb_listener').certificate_arn).toBe(
        ref(json, 'aws_acm_certificate_validation', 'certificate_arn'),
      );
    });
  });

  describe('validation', () => {
    test('domain not inside the hosted zone', () => {
      expect(() => build({ domainName: 'api.example.org', zoneName: 'example.com' })).toThrow(
        'Cert: \'domainName\' must be "example.com" or a name under it (the hosted zone) (got "api.example.org")',
      );
    });
    test('SAN not inside the hosted zone', () => {
      expect(() => build({ zoneName: 'example.com', subjectAlternativeNames: ['api.other.net'] })).toThrow(
        /'subjectAlternativeNames\[0\]' must be "example\.com" or a name under it/,
      );
    });
    test('domain syntax', () => {
      expect(() => build({ domainName: 'api..example.com' })).toThrow(/'domainName' must be a lower-case DNS name/);
    });
    test('SANs must not repeat', () => {
      expect(() => build({ subjectAlternativeNames: ['api.example.com'] })).toThrow(
        /'subjectAlternativeNames' must not repeat domainName/,
      );
    });
    test('at most 9 SANs', () => {
      const sans = Array.from({ length: 10 }, (_, i) => `n${i}.example.com`);
      expect(() => build({ subjectAlternativeNames: sans })).toThrow(/at most 9 names.*\(got 10\)/);
    });
  });
});
