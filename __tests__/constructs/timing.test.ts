import { ConfigError } from '../../constructs/config-error';
import { resolveTiming, timingEnvironment } from '../../constructs/timing';
import { TIMING_DEFAULTS } from '../../service/src/container-contract';
import { ENV } from '../../service/src/container-contract';

describe('resolveTiming', () => {
  test('GIVEN no props WHEN resolved THEN the documented defaults and a derived deregistration delay', () => {
    expect(resolveTiming()).toEqual({
      keepaliveIntervalSeconds: TIMING_DEFAULTS.keepaliveIntervalSeconds,
      idleTimeoutSeconds: TIMING_DEFAULTS.idleTimeoutSeconds,
      drainWindowSeconds: TIMING_DEFAULTS.drainWindowSeconds,
      drainPollIntervalSeconds: TIMING_DEFAULTS.drainPollIntervalSeconds,
      deregistrationDelaySeconds: 30 + 1 + 10,
      stopTimeoutSeconds: TIMING_DEFAULTS.stopTimeoutSeconds,
    });
  });

  test('GIVEN a drain window WHEN the delay is not set THEN the delay follows the window', () => {
    expect(resolveTiming({ drainWindowSeconds: 50, drainPollIntervalSeconds: 2 }).deregistrationDelaySeconds).toBe(62);
  });

  test('GIVEN every prop WHEN resolved THEN each is kept', () => {
    const props = {
      keepaliveIntervalSeconds: 20,
      idleTimeoutSeconds: 300,
      drainWindowSeconds: 45,
      drainPollIntervalSeconds: 2,
      deregistrationDelaySeconds: 90,
      stopTimeoutSeconds: 100,
    };
    expect(resolveTiming(props)).toEqual(props);
  });

  test('rule violations are ConfigErrors (printed without a stack trace by main.ts)', () => {
    expect(() => resolveTiming({ stopTimeoutSeconds: 500 })).toThrow(ConfigError);
  });

  describe('rules', () => {
    test('idle timeout must be in 1..4000', () => {
      expect(() => resolveTiming({ idleTimeoutSeconds: 5000 }, 'T')).toThrow(
        "T: 'idleTimeoutSeconds' must be an integer in 1..4000 (got 5000)",
      );
      expect(() => resolveTiming({ idleTimeoutSeconds: 0, keepaliveIntervalSeconds: 0.1 })).toThrow(
        /'idleTimeoutSeconds' must be an integer in 1\.\.4000 \(got 0\)/,
      );
    });
    test('idle timeout must be at least 2x the keepalive', () => {
      expect(() => resolveTiming({ keepaliveIntervalSeconds: 61, idleTimeoutSeconds: 120 })).toThrow(
        /'idleTimeoutSeconds' must be at least 2x keepaliveIntervalSeconds \(61\), i\.e\. >= 122.*\(got 120\)/,
      );
    });
    test('stop timeout must be <= 120 (Fargate)', () => {
      expect(() => resolveTiming({ stopTimeoutSeconds: 121 })).toThrow(
        /'stopTimeoutSeconds' must be an integer in 2\.\.120 \(got 121\)/,
      );
    });
    test('deregistration delay must be in 0..3600', () => {
      expect(() => resolveTiming({ deregistrationDelaySeconds: 3601 })).toThrow(
        /'deregistrationDelaySeconds' must be an integer in 0\.\.3600 \(got 3601\)/,
      );
    });
    test('deregistration delay must cover the drain window', () => {
      expect(() => resolveTiming({ drainWindowSeconds: 30, deregistrationDelaySeconds: 20 })).toThrow(
        /'deregistrationDelaySeconds' must be >= drainWindowSeconds \+ drainPollIntervalSeconds \(31\).*\(got 20\)/,
      );
    });
    test('the stop timeout must leave room for the drain window and the shutdown grace', () => {
      expect(() =>
        resolveTiming({ drainWindowSeconds: 52, stopTimeoutSeconds: 60, deregistrationDelaySeconds: 70 }),
      ).toThrow(
        /'stopTimeoutSeconds' must be >= drainWindowSeconds \(52\) \+ 9 s of shutdown grace, i\.e\. >= 61.*\(got 60\)/,
      );
    });
  });

  test('GIVEN a timing WHEN turned into the environment THEN milliseconds under the names of container-contract.ts', () => {
    const env = timingEnvironment(
      resolveTiming({ keepaliveIntervalSeconds: 12.5, drainWindowSeconds: 40, drainPollIntervalSeconds: 0.5 }),
    );
    expect(env).toEqual({
      [ENV.keepaliveIntervalMs]: '12500',
      [ENV.drainWindowMs]: '40000',
      [ENV.drainPollIntervalMs]: '500',
      [ENV.lbIdleTimeoutMs]: String(TIMING_DEFAULTS.idleTimeoutSeconds * 1000),
    });
  });
});
