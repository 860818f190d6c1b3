import { type Construct } from 'constructs';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { StateBucket, type StateBucketProps } from './state-bucket';
import { checkPattern } from './validation';

export interface StateBootstrapStackProps extends StateBucketProps {
  /** Region of the bucket (`eu-west-1`); the S3 backends that use it name the same region. */
  readonly region: string;
  /**
   * Where this stack keeps its own (small) state: it creates the bucket, so it cannot start out in it.
   * Relative to `cdktf.out/stacks/<stack>`; commit it or move it into the bucket once it exists.
   * @default '../../../terraform.<stack>.tfstate' (the project root)
   */
  readonly statePath?: string;
  /**
   * Tags on every resource (merged over Project, ManagedBy).
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/** The first stack to apply: the S3 bucket the other stacks' S3 backends keep their state in. */
export class StateBootstrapStack extends TerraformStack {
  public readonly stateBucket: StateBucket;

  constructor(scope: Construct, id: string, props: StateBootstrapStackProps) {
    super(scope, id);
    const { region, statePath, tags, ...bucketProps } = props;
    checkPattern(
      this.node.path,
      'region',
      region,
      /^[a-z]{2}(-[a-z]+)+-\d+$/,
      'must be an AWS region such as "eu-west-1"',
    );
    new AwsProvider(this, 'Aws', {
      region,
      defaultTags: [{ tags: { Project: 'ws-graphql', ManagedBy: 'cdktf', ...tags } }],
    });
    new LocalBackend(this, { path: statePath ?? `../../../terraform.${id}.tfstate` });
    this.addOverride('terraform.required_version', '>= 1.10');

    this.stateBucket = new StateBucket(this, 'StateBucket', bucketProps);
    new TerraformOutput(this, 'state_bucket_name', {
      value: this.stateBucket.bucketName,
      description: 'Bucket of the S3 state backends',
    });
  }
}
