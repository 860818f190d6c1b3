/**
 * A variant of the app's config with the optional parts on: access logs bucket, existing (dual-stack)
 * network, bring-your-own certificate, Redis off, alarms topic, S3 state backend. Planned beside the
 * default stacks so the optional code paths meet the real provider too.
 */
import { type EnvironmentConfig } from '../../config/environments';

export const VARIANTS: Readonly<Record<string, EnvironmentConfig>> = {
  'all-options': {
    name: 'ws-graphql-variant',
    region: 'eu-west-1',
    domainName: 'api.variant.example.com',
    hostedZoneName: 'example.com',
    backend: { type: 's3', bucket: 'ws-graphql-state-example' },
    certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0b0a-4000-8000-000000000001',
    existingNetwork: {
      vpcId: 'vpc-0123456789abcdef0',
      publicSubnetIds: ['subnet-0123456789abcdef1', 'subnet-0123456789abcdef2'],
      privateSubnetIds: ['subnet-0123456789abcdef3', 'subnet-0123456789abcdef4'],
      dualStack: true,
    },
    loadBalancer: { accessLogs: { retentionDays: 30 } },
    scaling: { desiredCount: 1, minCount: 1, maxCount: 1 },
    redis: { enabled: false },
    alarms: { createTopic: true },
    imageTag: 'v0.0.1',
  },
};
