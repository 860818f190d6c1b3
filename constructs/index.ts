// Re-exports only. Import single constructs from their files to keep load times short.
export * from './alarms';
export * from './alias-records';
export * from './certificate';
export * from './cidr';
export * from './fanout-redis';
export * from './fargate-service';
export * from './hosted-zone';
export * from './load-balancer';
export * from './network';
export * from './registry';
export * from './service-autoscaling';
export * from './target-group';
export * from './timing';
export * from './validation';
export * from './websocket-graphql-service';
export * from './websocket-graphql-stack';
