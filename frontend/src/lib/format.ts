// Times: shown in the viewer's zone, with the series' zone alongside, in the
// interface language's conventions.
import { intlLocale, t } from './i18n.svelte';

export const SERIES_ZONE = 'Europe/Brussels';

export function viewerZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

const dateFmt = (zone: string) =>
  new Intl.DateTimeFormat(intlLocale(), { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: zone });
const timeFmt = (zone: string) => new Intl.DateTimeFormat(intlLocale(), { hour: '2-digit', minute: '2-digit', timeZone: zone });

export function fmtDate(iso: string, zone = viewerZone()): string {
  return dateFmt(zone).format(new Date(iso));
}

export function fmtTime(iso: string, zone = viewerZone()): string {
  return timeFmt(zone).format(new Date(iso));
}

export function fmtDateTime(iso: string, zone = viewerZone()): string {
  return new Intl.DateTimeFormat(intlLocale(), {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: zone,
  }).format(new Date(iso));
}

/** "11:00–12:00" in a zone. */
export function fmtRange(start: string, end: string, zone = viewerZone()): string {
  const f = new Intl.DateTimeFormat(intlLocale(), { hour: '2-digit', minute: '2-digit', timeZone: zone });
  return f.formatRange(new Date(start), new Date(end));
}

/**
 * A short label for a zone, e.g. "Europe/Lisbon" → "Lisbon". The series'
 * own city is named in the interface language ("Brüssel"); Intl has no
 * city names, so other zones keep theirs.
 */
export function zoneLabel(zone: string): string {
  if (zone === SERIES_ZONE) return t('time.seriesCity');
  const last = zone.split('/').pop() ?? zone;
  return last.replace(/_/g, ' ');
}

/** "5 min ago"-style relative time for activity feeds. */
export function fmtAgo(iso: string, now = Date.now()): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 45) return t('time.justNow');
  const rel = new Intl.RelativeTimeFormat(intlLocale(), { style: 'short', numeric: 'always' });
  const m = Math.round(s / 60);
  if (m < 60) return rel.format(-m, 'minute');
  const h = Math.round(m / 60);
  if (h < 24) return rel.format(-h, 'hour');
  return fmtDate(iso);
}

/** URL piece for a talk: "/talks/42-slug". */
export function talkPath(t: { id: number; slug: string }, suffix = ''): string {
  return `/talks/${t.id}${t.slug ? '-' + t.slug : ''}${suffix}`;
}

/** The id from a "42-slug" (or "42") route parameter, or null. */
export function refId(ref: string): number | null {
  const m = /^(\d+)(?:-|$)/.exec(ref);
  return m ? Number(m[1]) : null;
}

/** datetime-local input value (viewer's zone) ↔ RFC 3339 UTC. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
