import { describe, expect, it } from 'vitest';
import { checkTimes, defaultTimes, humanField, languageOptions } from './talkform';

describe('talk form', () => {
  it('defaults to an hour a week ahead, which passes the checks', () => {
    const d = defaultTimes(new Date(2027, 4, 7, 9, 30));
    expect(d).toEqual({ starts_at: '2027-05-14T18:00', ends_at: '2027-05-14T19:00' });
    expect(checkTimes({ ...d, registration_closes_at: '' })).toEqual({});
  });
  it('says what is wrong with the times in words', () => {
    const e = checkTimes({ starts_at: '', ends_at: '2027-05-14T17:00', registration_closes_at: 'x' });
    expect(e.starts_at).toMatch(/starts/);
    expect(e.registration_closes_at).toMatch(/full date/);
    expect(checkTimes({ starts_at: '2027-05-14T18:00', ends_at: '2027-05-14T17:00', registration_closes_at: '' }).ends_at).toBe(
      'The talk must end after it starts.',
    );
    for (const m of Object.values(e)) expect(m).not.toMatch(/RFC|ISO/);
  });
  it('translates server messages that name the API', () => {
    expect(humanField('starts_at', 'must be an RFC 3339 time')).toBe('Enter a full date and time.');
    expect(humanField('ends_at', 'must be after starts_at')).toBe('The talk must end after it starts.');
    expect(humanField('title', 'must be 3 to 200 characters')).toBe('Must be 3 to 200 characters.');
  });
  it('keeps a talk language that is not in the list', () => {
    expect(languageOptions('en').some((l) => l.value === 'en')).toBe(true);
    expect(languageOptions('ga').at(-1)).toEqual({ value: 'ga', label: 'ga' });
  });
});
