/** Offline `terraform plan` and `terraform test` of synthesized stacks: see docs/offline-plan.md. */
export * from './toolchain';
export * from './stack-json';
export * from './fakes';
export * from './test-file';
export * from './workspace';
export * from './synth';
export * from './offline-plan';
export * from './day-one-state';
export * from './graph-assertions';
