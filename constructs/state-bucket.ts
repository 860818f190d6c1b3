import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { checkArn, checkInteger, checkPattern } from './validation';

export interface StateBucketProps {
  /** Name of the bucket (globally unique: 3..63 lower-case letters, digits, dots, hyphens). */
  readonly bucketName: string;
  /**
   * Days a superseded state version is kept (1..3650): how far back a state can be restored.
   * @default 90
   */
  readonly noncurrentVersionRetentionDays?: number;
  /**
   * Customer-managed KMS key for SSE-KMS; whoever runs Terraform then needs kms:Decrypt and
   * kms:GenerateDataKey on it.
   * @default - SSE-S3 (AES256)
   */
  readonly kmsKeyArn?: string;
}

/**
 * S3 bucket for Terraform state (the S3 backend, locked with its lock file): versioned so a bad write can be
 * rolled back, encrypted, reachable over TLS only, never public, and protected from `terraform destroy`.
 */
export class StateBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly bucketName: string;
  public readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: StateBucketProps) {
    super(scope, id);
    const owner = this.node.path;
    const retentionDays = props.noncurrentVersionRetentionDays ?? 90;
    checkPattern(
      owner,
      'bucketName',
      props.bucketName,
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'must be an S3 bucket name (3..63 lower-case letters, digits, dots, hyphens)',
    );
    checkInteger(owner, 'noncurrentVersionRetentionDays', retentionDays, 1, 3650);
    if (props.kmsKeyArn !== undefined) checkArn(owner, 'kmsKeyArn', props.kmsKeyArn, 'kms');

    // Losing this bucket loses track of every resource in the stacks that keep their state in it.
    this.bucket = new S3Bucket(this, 'Bucket', { bucket: props.bucketName, lifecycle: { preventDestroy: true } });
    const bucket = this.bucket.id;
    new S3BucketVersioningA(this, 'Versioning', { bucket, versioningConfiguration: { status: 'Enabled' } });
    new S3BucketServerSideEncryptionConfigurationA(this, 'Encryption', {
      bucket,
      rule: [
        props.kmsKeyArn === undefined
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }
          : {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.kmsKeyArn },
              // One KMS request per bucket key period instead of one per state write.
              bucketKeyEnabled: true,
            },
      ],
    });
    new S3BucketPublicAccessBlock(this, 'PublicAccessBlock', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'Ownership', { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketPolicy(this, 'Policy', {
      bucket,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'TlsOnly',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    });
    new S3BucketLifecycleConfiguration(this, 'Lifecycle', {
      bucket,
      rule: [
        {
          id: 'expire-old-state-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: retentionDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });

    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
  }
}
