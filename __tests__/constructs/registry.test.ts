import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { ContainerRegistry, type ContainerRegistryProps } from '../../constructs/registry';
import { only, ref, synth } from './helpers';

const build = (props?: ContainerRegistryProps) => synth((scope) => new ContainerRegistry(scope, 'Registry', props));

describe('ContainerRegistry', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    test('repository is named ws-graphql', () => {
      expect(raw).toHaveResourceWithProperties(EcrRepository, { name: 'ws-graphql' });
    });
    test('scan on push', () => {
      expect(raw).toHaveResourceWithProperties(EcrRepository, { image_scanning_configuration: { scan_on_push: true } });
    });
    test('immutable tags', () => {
      expect(raw).toHaveResourceWithProperties(EcrRepository, { image_tag_mutability: 'IMMUTABLE' });
    });
    test('AES256 encryption', () => {
      expect(raw).toHaveResourceWithProperties(EcrRepository, {
        encryption_configuration: [{ encryption_type: 'AES256' }],
      });
    });
    test('destroy refuses a repository with images', () => {
      expect(raw).toHaveResourceWithProperties(EcrRepository, { force_delete: false });
    });
    test('lifecycle policy keeps the last 30 images of the repository', () => {
      const policy = only(json, 'aws_ecr_lifecycle_policy');
      expect(policy.repository).toBe(ref(json, 'aws_ecr_repository', 'name'));
      expect(JSON.parse(policy.policy).rules).toEqual([
        expect.objectContaining({
          rulePriority: 1,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 },
          action: { type: 'expire' },
        }),
      ]);
    });
  });

  describe('props', () => {
    test('repositoryName', () => {
      expect(build({ repositoryName: 'team/api' }).raw).toHaveResourceWithProperties(EcrRepository, {
        name: 'team/api',
      });
    });
    test('keepLastImages', () => {
      const policy = JSON.parse(only(build({ keepLastImages: 5 }).json, 'aws_ecr_lifecycle_policy').policy);
      expect(policy.rules[0].selection.countNumber).toBe(5);
    });
    test('encryption KMS without a key uses the AWS-managed key', () => {
      expect(build({ encryption: 'KMS' }).raw).toHaveResourceWithProperties(EcrRepository, {
        encryption_configuration: [{ encryption_type: 'KMS' }],
      });
    });
    test('kmsKeyArn', () => {
      const kmsKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/abcd';
      expect(build({ encryption: 'KMS', kmsKeyArn }).raw).toHaveResourceWithProperties(EcrRepository, {
        encryption_configuration: [{ encryption_type: 'KMS', kms_key: kmsKeyArn }],
      });
    });
    test('forceDelete', () => {
      expect(build({ forceDelete: true }).raw).toHaveResourceWithProperties(EcrRepository, { force_delete: true });
    });
    test('the lifecycle policy resource exists once', () => {
      expect(build().raw).toHaveResource(EcrLifecyclePolicy);
    });
  });

  describe('validation', () => {
    test('repositoryName syntax', () => {
      expect(() => build({ repositoryName: 'My_Repo' })).toThrow(
        "Registry: 'repositoryName' must be 2..256 characters of lower-case letters and digits",
      );
      expect(() => build({ repositoryName: 'a' })).toThrow(/'repositoryName'.*\(got "a"\)/);
    });
    test('keepLastImages range', () => {
      expect(() => build({ keepLastImages: 0 })).toThrow(/'keepLastImages' must be an integer in 1\.\.10000 \(got 0\)/);
    });
    test('kmsKeyArn needs encryption KMS', () => {
      expect(() => build({ kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abcd' })).toThrow(
        /'kmsKeyArn' is only used with encryption: 'KMS'/,
      );
    });
    test('kmsKeyArn must be a KMS ARN', () => {
      expect(() => build({ encryption: 'KMS', kmsKeyArn: 'alias/mine' })).toThrow(
        /'kmsKeyArn' must be an ARN of the form arn:aws:kms:/,
      );
    });
  });
});
