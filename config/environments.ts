/**
 * The environments the default app deploys: one stack per entry, named by its key
 * (`cdktf.out/stacks/<key>`). Every field not set here takes the default documented on the construct
 * props (see docs/infrastructure.md, "Inputs"). Edit the domain and hosted zone before deploying.
 */
import type { StateBootstrapStackProps } from '../constructs/state-bootstrap-stack';
import type { WebSocketGraphqlStackProps } from '../constructs/websocket-graphql-stack';

export type EnvironmentConfig = WebSocketGraphqlStackProps;

/**
 * The bucket for remote state, created by the `state-bootstrap` stack (apply it first, see
 * docs/infrastructure-operations.md). Bucket names are global: edit the name before deploying.
 */
export const STATE_BUCKET: StateBootstrapStackProps = {
  region: 'eu-west-1',
  bucketName: 'example-ws-graphql-tfstate',
};

export const ENVIRONMENTS: Readonly<Record<string, EnvironmentConfig>> = {
  staging: {
    name: 'ws-graphql-staging',
    region: 'eu-west-1',
    domainName: 'api.staging.example.com',
    hostedZoneName: 'example.com',
    // Local state (the project root): for trying things out; switch to the S3 backend like production to share.
    backend: { type: 'local' },
    network: { natGateways: 'single' },
    service: { cpu: 256, memory: 512, logLevel: 'debug', logRetentionDays: 14 },
    scaling: { desiredCount: 1, minCount: 1, maxCount: 2 },
    // One node: no failover, half the cost; fan-out still works across the two tasks.
    redis: { nodeCount: 1 },
    loadBalancer: { deletionProtection: false },
    alarms: { createTopic: true, subscriptions: [{ protocol: 'email', endpoint: 'ops-staging@example.com' }] },
  },
  production: {
    name: 'ws-graphql-production',
    region: 'eu-west-1',
    domainName: 'api.example.com',
    hostedZoneName: 'example.com',
    // Shared, locked state: a CI plan on a fresh clone sees what exists. `{ type: 'local' }` to try things out.
    backend: { type: 's3', bucket: STATE_BUCKET.bucketName, region: STATE_BUCKET.region },
    network: { natGateways: 'one-per-az', availabilityZoneCount: 3 },
    service: { cpu: 512, memory: 1024, logRetentionDays: 90 },
    scaling: { desiredCount: 2, minCount: 2, maxCount: 6 },
    redis: { nodeCount: 2 },
    loadBalancer: { deletionProtection: true },
    alarms: {
      createTopic: true,
      subscriptions: [
        { protocol: 'email', endpoint: 'ops@example.com' },
        { protocol: 'https', endpoint: 'https://hooks.example.com/alarms' },
      ],
    },
    registry: { keepLastImages: 50 },
  },
};
