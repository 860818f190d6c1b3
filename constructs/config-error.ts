/**
 * The error for configuration AWS would reject, raised at synth. Its message is meant for the person who
 * wrote the config, so the app prints it without a stack trace. No imports: timing.ts (loaded by the
 * service tests and the e2e harness) uses it too.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
