import { type Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { checkPattern, fail } from './validation';
import { WebSocketGraphqlService, type WebSocketGraphqlServiceProps } from './websocket-graphql-service';

/** Terraform state on this machine (next to the project, outside the regenerated cdktf.out). */
export interface LocalStateBackend {
  readonly type: 'local';
  /**
   * State file path, relative to the stack's working directory `cdktf.out/stacks/<stack>`.
   * @default '../../../terraform.<stack>.tfstate' (the project root)
   */
  readonly path?: string;
}

/** Terraform state in S3, locked while a plan or apply runs. */
export interface S3StateBackend {
  readonly type: 's3';
  /** Existing bucket (versioning recommended). */
  readonly bucket: string;
  /**
   * Object key of the state.
   * @default '<stack>/terraform.tfstate'
   */
  readonly key?: string;
  /**
   * Region of the bucket.
   * @default - the stack's region
   */
  readonly region?: string;
  /**
   * Lock with a DynamoDB table (partition key `LockID`) instead of the S3 lock file.
   * @default - S3 native locking (`use_lockfile`, Terraform 1.10+)
   */
  readonly dynamodbTable?: string;
}

export type StateBackend = LocalStateBackend | S3StateBackend;

export interface WebSocketGraphqlStackProps extends Omit<WebSocketGraphqlServiceProps, 'imageTag'> {
  /** AWS region of everything in the stack (`eu-west-1`). */
  readonly region: string;
  /**
   * Where Terraform keeps the state.
   * @default - { type: 'local' }
   */
  readonly backend?: StateBackend;
  /**
   * Default of the `image_tag` variable.
   * @default - none: plan and apply need `-var image_tag=<tag>`
   */
  readonly imageTag?: string;
  /**
   * Tags on every resource (merged over Project, Environment, ManagedBy).
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/** Docker's tag grammar; checked by Terraform when the variable is set. */
const IMAGE_TAG_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';

/**
 * One environment: provider, state backend, the `image_tag` variable, the service and its outputs.
 * The stack id is the environment name (`staging`): it names cdktf.out/stacks/<id>.
 */
export class WebSocketGraphqlStack extends TerraformStack {
  public readonly imageTag: TerraformVariable;
  public readonly service: WebSocketGraphqlService;

  constructor(scope: Construct, id: string, props: WebSocketGraphqlStackProps) {
    super(scope, id);
    const owner = this.node.path;
    const { region, backend = { type: 'local' }, imageTag, tags, ...serviceProps } = props;

    checkPattern(owner, 'region', region, /^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as "eu-west-1"');
    if (imageTag !== undefined && !new RegExp(IMAGE_TAG_PATTERN).test(imageTag)) {
      fail(
        owner,
        'imageTag',
        imageTag,
        'must be a Docker tag: 1..128 letters, digits, "_", "." or "-", not starting with "." or "-"',
      );
    }

    new AwsProvider(this, 'Aws', {
      region,
      defaultTags: [{ tags: { Project: 'ws-graphql', Environment: id, ManagedBy: 'cdktf', ...tags } }],
    });
    this.configureBackend(owner, id, region, backend);
    // S3 native locking needs 1.10; the provider needs 1.x anyway.
    this.addOverride('terraform.required_version', '>= 1.10');

    this.imageTag = new TerraformVariable(this, 'image_tag', {
      type: 'string',
      description: 'Tag of the service image in the ECR repository (immutable tags: one tag, one image).',
      ...(imageTag !== undefined ? { default: imageTag } : {}),
      validation: [
        {
          condition: `\${can(regex("${IMAGE_TAG_PATTERN}", var.image_tag))}`,
          errorMessage:
            'image_tag must be a Docker tag: 1..128 letters, digits, "_", "." or "-", not starting with "." or "-".',
        },
      ],
    });

    this.service = new WebSocketGraphqlService(this, 'Service', {
      ...serviceProps,
      region,
      imageTag: this.imageTag.stringValue,
    });

    const outputs: Array<[string, string, string]> = [
      ['https_url', this.service.httpsUrl, 'HTTPS URL of the service'],
      ['wss_url', this.service.wssUrl, 'WebSocket URL of the GraphQL endpoint'],
      ['alb_dns_name', this.service.loadBalancer.dnsName, 'DNS name of the load balancer'],
      ['ecr_repository_url', this.service.registry.repositoryUrl, 'Push images here: <url>:<tag>'],
      ['ecs_cluster_name', this.service.service.cluster.name, 'ECS cluster'],
      ['ecs_service_name', this.service.service.service.name, 'ECS service'],
      ['log_group_name', this.service.service.logGroup.name, 'CloudWatch log group of the tasks'],
    ];
    if (this.service.alarms.topicArn !== undefined) {
      outputs.push(['alarm_topic_arn', this.service.alarms.topicArn, 'SNS topic the alarms notify']);
    }
    for (const [name, value, description] of outputs) {
      new TerraformOutput(this, name, { value, description });
    }
  }

  private configureBackend(owner: string, id: string, region: string, backend: StateBackend): void {
    if (backend.type === 'local') {
      new LocalBackend(this, { path: backend.path ?? `../../../terraform.${id}.tfstate` });
      return;
    }
    if (backend.type !== 's3') {
      fail(owner, 'backend.type', (backend as { type: unknown }).type, 'must be "local" or "s3"');
    }
    checkPattern(
      owner,
      'backend.bucket',
      backend.bucket,
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'must be an S3 bucket name (3..63 lower-case letters, digits, dots, hyphens)',
    );
    const key = backend.key ?? `${id}/terraform.tfstate`;
    checkPattern(
      owner,
      'backend.key',
      key,
      /^[^/].{0,1023}$/,
      'must be an S3 key of 1..1024 characters not starting with "/"',
    );
    const backendRegion = backend.region ?? region;
    checkPattern(
      owner,
      'backend.region',
      backendRegion,
      /^[a-z]{2}(-[a-z]+)+-\d+$/,
      'must be an AWS region such as "eu-west-1"',
    );
    const s3 = new S3Backend(this, {
      bucket: backend.bucket,
      key,
      region: backendRegion,
      encrypt: true,
      ...(backend.dynamodbTable !== undefined ? { dynamodbTable: backend.dynamodbTable } : {}),
    });
    if (backend.dynamodbTable === undefined) {
      // cdktf 0.21's S3Backend has no typed field for it yet.
      s3.addOverride('use_lockfile', true);
    }
  }
}
