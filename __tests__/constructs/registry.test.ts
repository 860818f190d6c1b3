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
    test('lifecycle policy: untagged images expire first (after 1 day); tagged ones only beyond the newest 100', () => {
      const policy = only(json, 'aws_ecr_lifecycle_policy');
      expect(policy.repository).toBe(ref(json, 'aws_ecr_repository', 'name'));
      expect(JSON.parse(policy.policy).rules).toEqual([
        expect.objectContaining({
          rulePriority: 1,
          selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
          action: { type: 'expire' },
        }),
        expect.objectContaining({
          rulePriority: 2,
          selection: { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: 100 },
          action: { type: 'expire' },
        }),
      ]);
    });
    test('no rule expires tagged images by age, so a deployed tag among the newest 100 is never expired', () => {
      const rules = JSON.parse(only(json, 'aws_ecr_lifecycle_policy').policy).rules;
      const byAge = rules.filter(
        (r: { selection: { tagStatus: string; countType: string } }) =>
          r.selection.tagStatus !== 'untagged' && r.selection.countType !== 'imageCountMoreThan',
      );
      expect(byAge).toEqual([]);
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
      expect(policy.rules[1].selection.countNumber).toBe(5);
    });
    test('untaggedImageExpiryDays', () => {
      const policy = JSON.parse(only(build({ untaggedImageExpiryDays: 14 }).json, 'aws_ecr_lifecycle_policy').policy);
      expect(policy.rules[0].selection).toMatchObject({ tagStatus: 'untagged', countNumber: 14 });
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
    test('untaggedImageExpiryDays range', () => {
      expect(() => build({ untaggedImageExpiryDays: 0 })).toThrow(
        "Registry: 'untaggedImageExpiryDays' must be an integer in 1..3650 (got 0)",
      );
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
