import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { StateBucket, type StateBucketProps } from '../../constructs/state-bucket';
import { only, ref, synth } from './helpers';

const build = (props: Partial<StateBucketProps> = {}) =>
  synth((scope) => new StateBucket(scope, 'State', { bucketName: 'acme-tfstate', ...props }));

describe('StateBucket', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    const bucket = () => ref(json, 'aws_s3_bucket', 'id');
    test('the named bucket, protected from terraform destroy', () => {
      expect(raw).toHaveResourceWithProperties(S3Bucket, {
        bucket: 'acme-tfstate',
        lifecycle: { prevent_destroy: true },
      });
    });
    test('versioned: every state write is kept as a version', () => {
      expect(only(json, 'aws_s3_bucket_versioning')).toEqual({
        bucket: bucket(),
        versioning_configuration: { status: 'Enabled' },
      });
    });
    test('encrypted with SSE-S3 by default', () => {
      expect(only(json, 'aws_s3_bucket_server_side_encryption_configuration')).toEqual({
        bucket: bucket(),
        rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }],
      });
    });
    test('public access blocked, ACLs off', () => {
      expect(only(json, 'aws_s3_bucket_public_access_block')).toEqual({
        bucket: bucket(),
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(only(json, 'aws_s3_bucket_ownership_controls').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    });
    test('bucket policy: TLS only', () => {
      const policy = JSON.parse(only(json, 'aws_s3_bucket_policy').policy);
      const arn = ref(json, 'aws_s3_bucket', 'arn');
      expect(policy.Statement).toEqual([
        {
          Sid: 'TlsOnly',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [arn, `${arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]);
    });
    test('old state versions expire after 90 days; incomplete uploads after 7', () => {
      expect(only(json, 'aws_s3_bucket_lifecycle_configuration').rule).toEqual([
        {
          id: 'expire-old-state-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrent_version_expiration: [{ noncurrent_days: 90 }],
          abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
        },
      ]);
    });
  });

  describe('props', () => {
    test('kmsKeyArn: SSE-KMS with that key and an S3 bucket key', () => {
      const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      expect(only(build({ kmsKeyArn: key }).json, 'aws_s3_bucket_server_side_encryption_configuration').rule).toEqual([
        {
          apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: key },
          bucket_key_enabled: true,
        },
      ]);
    });
    test('noncurrentVersionRetentionDays', () => {
      const rule = only(build({ noncurrentVersionRetentionDays: 365 }).json, 'aws_s3_bucket_lifecycle_configuration');
      expect(rule.rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 365 }]);
    });
  });

  describe('validation', () => {
    test('bucket name', () => {
      expect(() => build({ bucketName: 'Acme_State' })).toThrow(
        `State: 'bucketName' must be an S3 bucket name (3..63 lower-case letters, digits, dots, hyphens) (got "Acme_State")`,
      );
    });
    test('noncurrentVersionRetentionDays range', () => {
      expect(() => build({ noncurrentVersionRetentionDays: 0 })).toThrow(
        "State: 'noncurrentVersionRetentionDays' must be an integer in 1..3650 (got 0)",
      );
    });
    test('kmsKeyArn syntax', () => {
      expect(() => build({ kmsKeyArn: 'alias/state' })).toThrow(
        "State: 'kmsKeyArn' must be an ARN of the form arn:aws:kms:",
      );
    });
  });
});
