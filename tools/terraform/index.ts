/** Terraform runs of synthesized stacks: toolchain, scratch workspaces, offline plans. See docs/offline-plan.md. */
export * from './toolchain';
export * from './stack-json';
export * from './fakes';
export * from './test-file';
export * from './workspace';
export * from './offline-plan';
