import { describe, expect, it } from 'vitest';
import { duration, evenSplit, fieldError, initials, moved, splitRange } from './format';

describe('admin format helpers', () => {
  it('splits 100 evenly with the remainder first', () => {
    expect(evenSplit(3)).toEqual([34, 33, 33]);
    expect(evenSplit(2)).toEqual([50, 50]);
    expect(evenSplit(3).reduce((a, b) => a + b)).toBe(100);
  });
  it('moves an item', () => {
    expect(moved(['a', 'b', 'c'], 0, 2)).toEqual(['b', 'c', 'a']);
    expect(moved(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
  });
  it('finds a field error at or under a field', () => {
    const e = { field: 'routing.destinations[1].percentage', message: 'must be a whole number from 1 to 100' };
    expect(fieldError(e, 'routing.destinations[1]')).toBe(e.message);
    expect(fieldError(e, 'routing.destinations[0]')).toBeNull();
    expect(fieldError(e, 'routing.destinations[1]', true)).toBeNull();
  });
  it('formats', () => {
    expect(duration(65_000)).toBe('1 min 5 s');
    expect(initials('Sam Seller')).toBe('SS');
    expect(splitRange('09:00-17:00')).toEqual(['09:00', '17:00']);
  });
});
