import { Construct } from 'constructs';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { checkArn, checkInteger, checkPattern, fail } from './validation';

export type RegistryEncryption = 'AES256' | 'KMS';

export interface ContainerRegistryProps {
  /**
   * Repository name (2..256 characters: lower-case letters, digits, `._-` separators, `/` namespaces).
   * @default 'ws-graphql'
   */
  readonly repositoryName?: string;
  /**
   * How many tagged images to keep (1..10000); the lifecycle policy expires tagged images only beyond the
   * newest N pushes, never by age. The image that runs is safe while it is among the newest N: keep N well
   * above the pushes between two deploys plus the tags you may roll back to.
   * @default 100
   */
  readonly keepLastImages?: number;
  /**
   * Days after which untagged images (failed or superseded pushes) expire (1..3650). Their rule has the
   * highest priority, so they go before any tagged image.
   * @default 1
   */
  readonly untaggedImageExpiryDays?: number;
  /**
   * Server-side encryption of the images: AWS-managed AES256, or KMS (with `kmsKeyArn`, or the AWS-managed
   * ECR key when that is absent).
   * @default 'AES256'
   */
  readonly encryption?: RegistryEncryption;
  /**
   * Customer-managed KMS key for `encryption: 'KMS'`.
   * @default - the AWS-managed key aws/ecr
   */
  readonly kmsKeyArn?: string;
  /**
   * Let `terraform destroy` delete the repository while it still holds images.
   * @default false
   */
  readonly forceDelete?: boolean;
}

/** ECR repository for the service image: scan on push, immutable tags, encryption, lifecycle policy. */
export class ContainerRegistry extends Construct {
  public readonly repository: EcrRepository;
  public readonly lifecyclePolicy: EcrLifecyclePolicy;
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>`; append `:<tag>` for an image. */
  public readonly repositoryUrl: string;

  constructor(scope: Construct, id: string, props: ContainerRegistryProps = {}) {
    super(scope, id);
    const owner = this.node.path;
    const repositoryName = props.repositoryName ?? 'ws-graphql';
    const keepLastImages = props.keepLastImages ?? 100;
    const untaggedImageExpiryDays = props.untaggedImageExpiryDays ?? 1;
    const encryption = props.encryption ?? 'AES256';

    checkPattern(
      owner,
      'repositoryName',
      repositoryName,
      /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
      'must be 2..256 characters of lower-case letters and digits, separated by single ".", "_", "-" or "/"',
    );
    checkInteger(owner, 'keepLastImages', keepLastImages, 1, 10000);
    checkInteger(owner, 'untaggedImageExpiryDays', untaggedImageExpiryDays, 1, 3650);
    if (props.kmsKeyArn !== undefined) {
      if (encryption !== 'KMS') {
        fail(
          owner,
          'kmsKeyArn',
          props.kmsKeyArn,
          "is only used with encryption: 'KMS'; set encryption to 'KMS' or drop the key",
        );
      }
      checkArn(owner, 'kmsKeyArn', props.kmsKeyArn, 'kms');
    }

    this.repository = new EcrRepository(this, 'Repository', {
      name: repositoryName,
      // Immutable tags: a tag always means the same image, so `image_tag` pins what runs.
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [
        encryption === 'KMS'
          ? { encryptionType: 'KMS', ...(props.kmsKeyArn ? { kmsKey: props.kmsKeyArn } : {}) }
          : { encryptionType: 'AES256' },
      ],
      forceDelete: props.forceDelete ?? false,
    });

    this.lifecyclePolicy = new EcrLifecyclePolicy(this, 'LifecyclePolicy', {
      repository: this.repository.name,
      policy: JSON.stringify({
        // An image matched by a rule's tag selection is never expired by a lower-priority rule: untagged
        // images go first, and tagged ones only by count, so the deployed tag stays while it is recent.
        rules: [
          {
            rulePriority: 1,
            description: `Expire untagged images pushed over ${untaggedImageExpiryDays} day(s) ago`,
            selection: {
              tagStatus: 'untagged',
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: untaggedImageExpiryDays,
            },
            action: { type: 'expire' },
          },
          {
            rulePriority: 2,
            description: `Keep the newest ${keepLastImages} tagged images`,
            selection: {
              tagStatus: 'tagged',
              tagPatternList: ['*'],
              countType: 'imageCountMoreThan',
              countNumber: keepLastImages,
            },
            action: { type: 'expire' },
          },
        ],
      }),
    });

    this.repositoryUrl = this.repository.repositoryUrl;
  }
}
