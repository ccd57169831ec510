import { describe, expect, it } from 'vitest';
import { checkDisplayName, checkNewPassword, needsVerification, tokenFrom, waitText } from './account';

describe('checkNewPassword', () => {
  it('accepts a long enough password typed twice the same', () => {
    expect(checkNewPassword('correct horse battery', 'correct horse battery')).toEqual({});
  });

  it('names a short password and a different repetition', () => {
    expect(checkNewPassword('short', 'short')).toEqual({ password: 'Use at least 10 characters.' });
    expect(checkNewPassword('long enough password', 'long enough passw0rd')).toEqual({
      confirmation: 'The two passwords are not the same.',
    });
  });

  it('counts exactly ten characters as enough', () => {
    expect(checkNewPassword('abcdefghij', 'abcdefghij')).toEqual({});
    expect(checkNewPassword('abcdefghi', 'abcdefghi').password).toBeDefined();
  });
});

describe('checkDisplayName', () => {
  it('refuses an empty or blank name', () => {
    expect(checkDisplayName('   ')).toBeDefined();
  });

  it('counts characters after trimming, not UTF-16 units', () => {
    expect(checkDisplayName(`  ${'a'.repeat(60)}  `)).toBeUndefined();
    expect(checkDisplayName('a'.repeat(61))).toBe('Use at most 60 characters.');
    expect(checkDisplayName('😀'.repeat(60))).toBeUndefined();
  });
});

describe('waitText', () => {
  it('words seconds, minutes and hours', () => {
    expect(waitText(1)).toBe('in 1 second');
    expect(waitText(45)).toBe('in 45 seconds');
    expect(waitText(60)).toBe('in 1 minute');
    expect(waitText(61)).toBe('in 2 minutes');
    expect(waitText(3600)).toBe('in about 1 hour');
    expect(waitText(2 * 3600 + 10)).toBe('in about 2 hours');
  });

  it('says "in a moment" without a usable wait', () => {
    expect(waitText(null)).toBe('in a moment');
    expect(waitText(0)).toBe('in a moment');
    expect(waitText(Number.NaN)).toBe('in a moment');
  });
});

describe('tokenFrom', () => {
  it('reads the token of a link', () => {
    expect(tokenFrom('?token=abc_DEF-123')).toBe('abc_DEF-123');
    expect(tokenFrom('?x=1')).toBe('');
    expect(tokenFrom('')).toBe('');
  });
});

describe('needsVerification', () => {
  it('is true only for an address not yet confirmed', () => {
    expect(needsVerification({ email: 'ada@example.org', email_verified: false })).toBe(true);
    expect(needsVerification({ email: 'ada@example.org', email_verified: true })).toBe(false);
    expect(needsVerification({ email_verified: false })).toBe(false); // a guest
    expect(needsVerification(null)).toBe(false);
  });
});
