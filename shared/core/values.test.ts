import { describe, expect, it } from 'vitest';
import { parseInteger, parseList, parseSwitch } from './values';

describe('parseInteger', () => {
  it.each([
    [' 3000 ', 3000],
    ['007', 7],
    ['-5', -5],
    [42, 42],
  ])('reads %j as %d', (value, expected) => {
    // Act
    const parsed = parseInteger(value);

    // Assess
    expect(parsed).toBe(expected);
  });

  it.each([[undefined], [null], [''], ['   ']])('treats %j as absent', (value) => {
    // Act
    const parsed = parseInteger(value);

    // Assess
    expect(parsed).toBeUndefined();
  });

  it.each([['3e3'], ['1.5'], [1.5], ['+1'], ['1h'], [true], ['9007199254740993']])('refuses %j with NaN', (value) => {
    // Act
    const parsed = parseInteger(value);

    // Assess
    expect(parsed).toBeNaN();
  });
});

describe('parseList', () => {
  it('splits a comma-separated string and trims a list alike, dropping blanks', () => {
    // Act
    const fromText = parseList(' a.com, B.com ,,');
    const fromList = parseList(['a.com', ' B.com ', '']);

    // Assess
    expect(fromText).toEqual(['a.com', 'B.com']);
    expect(fromList).toEqual(['a.com', 'B.com']);
  });

  it('gives undefined for an absent value and null for one of another type', () => {
    // Act
    const results = [parseList(undefined), parseList(null), parseList(42), parseList(['a', 1])];

    // Assess
    expect(results).toEqual([undefined, undefined, null, null]);
  });
});

describe('parseSwitch', () => {
  it.each([
    ['true', true],
    [' TRUE ', true],
    ['1', true],
    ['false', false],
    ['0', false],
    ['', false],
    [undefined, false],
    ['yes', undefined],
  ])('reads %j as %j', (value, expected) => {
    // Act
    const parsed = parseSwitch(value);

    // Assess
    expect(parsed).toBe(expected);
  });
});
