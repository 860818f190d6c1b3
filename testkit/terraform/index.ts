/**
 * Offline `terraform plan` and `terraform test` of synthesized stacks (see docs/offline-plan.md): the runtime
 * in tools/terraform/, plus what only tests use (synthesis into a scratch dir, day-one states, graph checks).
 */
export * from '../../tools/terraform';
export * from './synth';
export * from './day-one-state';
export * from './graph-assertions';
export * from './module-graphs';
export * from './data-as-locals';
