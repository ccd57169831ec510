// "Add to calendar" beyond the .ics file: Google Calendar and Outlook
// event templates, and a webcal:// address to subscribe to the feed.
import { LOCALES, locale } from './i18n.svelte';

export interface CalendarEvent {
  title: string;
  start: string; // RFC 3339
  end: string;
  details: string;
  location: string;
}

/** 2026-11-27T10:00:00Z → 20261127T100000Z */
const compact = (iso: string) => new Date(iso).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

export function googleUrl(e: CalendarEvent): string {
  const q = new URLSearchParams({ action: 'TEMPLATE', text: e.title, dates: `${compact(e.start)}/${compact(e.end)}`, details: e.details, location: e.location });
  return `https://calendar.google.com/calendar/render?${q}`;
}

export function outlookUrl(e: CalendarEvent): string {
  const q = new URLSearchParams({
    path: '/calendar/action/compose',
    rru: 'addevent',
    subject: e.title,
    startdt: new Date(e.start).toISOString(),
    enddt: new Date(e.end).toISOString(),
    body: e.details,
    location: e.location,
  });
  return `https://outlook.live.com/calendar/0/deeplink/compose?${q}`;
}

/** The feed's address for calendar apps that subscribe (webcal://, or webcals:// is not used: most apps take webcal for https). */
export function webcalUrl(path: string, origin = location.origin): string {
  return origin.replace(/^https?:/, 'webcal:') + path;
}

/**
 * `?lang=es` (etc.) for a calendar feed in the interface language. A feed is
 * one address for everyone, in English unless its URL says otherwise; the
 * pseudo-locale gets English.
 */
export function feedQuery(code: string = locale()): string {
  return code !== 'en' && (LOCALES as readonly string[]).includes(code) ? `?lang=${code}` : '';
}
