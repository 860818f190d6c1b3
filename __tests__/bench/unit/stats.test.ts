/** The statistics helpers the benchmarks share (bench/lib/stats.ts). */
import { median, percentileInPlace, round } from '../../../bench/lib/stats';

test('median: the middle value, or the mean of the two middle values for an even count', () => {
  expect(median([5, 1, 3])).toBe(3);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(() => median([])).toThrow('median: no values');
});

test('percentileInPlace: nearest rank among the first `count` values', () => {
  const values = Float64Array.from([50, 10, 40, 20, 30, 1]);
  expect(percentileInPlace(values, 5, 50)).toBe(30);
  expect(percentileInPlace(values, 5, 99)).toBe(50);
  expect(percentileInPlace(values, 5, 0)).toBe(10);
  expect(percentileInPlace(values, 0, 50)).toBeNaN();
});

test('round: to the given decimals, non-finite values kept', () => {
  expect(round(1.23456)).toBe(1.23);
  expect(round(1.23456, 3)).toBe(1.235);
  expect(round(Number.NaN)).toBeNaN();
});
