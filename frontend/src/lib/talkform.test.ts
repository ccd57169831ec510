import { describe, expect, it } from 'vitest';
import { checkTimes, defaultTimes, formatLabel, humanField, languageOptions } from './talkform';

// Run with the English catalog (test-setup.ts); the other languages' messages are checked by catalogs.test.ts.
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
    for (const m of Object.values(e)) expect(m).not.toMatch(/RFC|ISO|talkEdit\./);
  });
  it('gives an example date written as the interface language writes dates', () => {
    expect(checkTimes({ starts_at: '2027-13-45T18:00', ends_at: '2027-05-14T19:00', registration_closes_at: '' }).starts_at).toMatch(
      /^Enter a full date and time, e\.g\. 05\/14\/2027, 06:00\sPM\.$/,
    );
  });
  it('translates server messages that name the API', () => {
    expect(humanField('starts_at', 'must be an RFC 3339 time')).toBe('Enter a full date and time.');
    expect(humanField('ends_at', 'must be after starts_at')).toBe('The talk must end after it starts.');
    expect(humanField('title', 'must be 3 to 200 characters')).toBe('Use 3 to 200 characters.');
    expect(humanField('capacity', 'must be from 0 to 1000000, or null for unlimited')).toBe('Enter a number from 0 to 1,000,000, or leave it empty for no limit.');
    expect(humanField('tags', 'must be at most 10 tags')).toBe('Use at most 10 tags.');
    // A message the form does not know stays the server's, as a sentence.
    expect(humanField('title', 'must not be null')).toBe('Must not be null.');
  });
  it('names formats and languages in the interface language, keeping a talk language that is not in the list', () => {
    expect(formatLabel('onsite')).toBe('On site');
    expect(languageOptions('en').find((l) => l.value === 'de')?.label).toBe('German');
    expect(languageOptions('ga').at(-1)).toEqual({ value: 'ga', label: 'Irish' });
  });
});
