import { describe, expect, it } from 'vitest';
import { feedQuery, googleUrl, outlookUrl, webcalUrl } from './calendar';

const e = { title: 'Health & data', start: '2026-11-27T10:00:00Z', end: '2026-11-27T11:00:00Z', details: 'https://talks.example.org/talks/1-x', location: 'Online' };

describe('calendar links', () => {
  it('fills the Google template', () => {
    const u = new URL(googleUrl(e));
    expect(u.host).toBe('calendar.google.com');
    expect(u.searchParams.get('dates')).toBe('20261127T100000Z/20261127T110000Z');
    expect(u.searchParams.get('text')).toBe('Health & data');
  });
  it('fills the Outlook template', () => {
    const u = new URL(outlookUrl(e));
    expect(u.searchParams.get('startdt')).toBe('2026-11-27T10:00:00.000Z');
    expect(u.searchParams.get('subject')).toBe('Health & data');
  });
  it('subscribes with webcal', () => {
    expect(webcalUrl('/api/v1/talks.ics', 'https://talks.example.org')).toBe('webcal://talks.example.org/api/v1/talks.ics');
  });
  it('asks for the feed in the interface language, English by default', () => {
    expect(feedQuery('de')).toBe('?lang=de');
    expect(feedQuery('en')).toBe('');
    expect(feedQuery('en-XA')).toBe('');
    expect(feedQuery()).toBe('');
  });
});
