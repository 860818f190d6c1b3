/** The pure parts of `npm run bench:suite` (bench/tools/suite-time.ts): options and suite matching. */
import { counterparts, parseOptions } from '../../../bench/tools/suite-time';

describe('bench:suite', () => {
  test('options: --baseline is required, --rounds is 1-10', () => {
    expect(parseOptions(['--baseline', 'abc123'])).toEqual({ baseline: 'abc123', rounds: 3 });
    expect(parseOptions(['--rounds', '5', '--baseline', 'main~5'])).toEqual({ baseline: 'main~5', rounds: 5 });
    expect(() => parseOptions([])).toThrow('--baseline <commit> is required');
    expect(() => parseOptions(['--baseline', 'x', '--rounds', '0'])).toThrow(
      '--rounds 0: expected a whole number from 1 to 10',
    );
    expect(() => parseOptions(['--baseline'])).toThrow('unknown or incomplete option "--baseline"');
    expect(() => parseOptions(['--baseline', 'x', '--fast'])).toThrow('unknown or incomplete option "--fast"');
  });

  test("a baseline suite's counterpart: the same path, else the one suite of that name; each run once; the rest added", () => {
    const baseline = [
      '__tests__/service/http.test.ts',
      '__tests__/old/http.test.ts',
      '__tests__/service/config.test.ts',
      '__tests__/service/gone.test.ts',
      '__tests__/service/twice.test.ts',
    ];
    const current = [
      '__tests__/service/http.test.ts',
      '__tests__/service/unit/config.test.ts',
      '__tests__/a/twice.test.ts',
      '__tests__/b/twice.test.ts',
      '__tests__/service/new.test.ts',
    ];
    expect(counterparts(baseline, current)).toEqual({
      matched: ['__tests__/service/http.test.ts', '__tests__/service/unit/config.test.ts'],
      unmatched: ['__tests__/service/gone.test.ts', '__tests__/service/twice.test.ts'],
      added: ['__tests__/a/twice.test.ts', '__tests__/b/twice.test.ts', '__tests__/service/new.test.ts'],
    });
  });
});
