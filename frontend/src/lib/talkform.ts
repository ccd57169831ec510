// The talk editor's own rules: the values the server accepts for a talk's
// language and format (server/talks/validate.go), the defaults of a new
// talk, and the time checks said in words a person reads, in the interface
// language.
import { intlLocale, languageName, t } from './i18n.svelte';

/** The formats the server accepts; their names are badge.format's. */
export const FORMATS = ['online', 'onsite', 'hybrid'] as const;

/** A format's name in the interface language. */
export function formatLabel(format: string): string {
  return t('badge.format', { format });
}

/** Language codes (BCP 47, as the server checks them), in the order offered. */
export const LANGUAGES = ['en', 'nl', 'fr', 'de', 'es', 'it', 'pt', 'pt-BR', 'pl', 'sv', 'da', 'fi', 'el', 'cs', 'ro', 'hu'];

/**
 * The languages to offer, named in the interface language: the list, plus a
 * talk's own code if it is not in it.
 */
export function languageOptions(current: string): { value: string; label: string }[] {
  const codes = !current || LANGUAGES.includes(current) ? LANGUAGES : [...LANGUAGES, current];
  return codes.map((value) => ({ value, label: languageName(value) }));
}

const pad = (n: number) => String(n).padStart(2, '0');
const local = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

/** A new talk's default times (datetime-local values): a week from now at 18:00, for an hour. */
export function defaultTimes(now = new Date()): { starts_at: string; ends_at: string } {
  const s = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 7, 18, 0);
  const e = new Date(s.getTime() + 60 * 60 * 1000);
  return { starts_at: local(s), ends_at: local(e) };
}

const valid = (v: string) => !!v && !isNaN(new Date(v).getTime());

/** "Enter a full date and time, e.g. …" with an example written as the interface language writes dates. */
function fullDate(hour: number): string {
  const example = new Intl.DateTimeFormat(intlLocale(), { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(
    new Date(2027, 4, 14, hour, 0),
  );
  return t('talkEdit.fullDateExample', { example });
}

/**
 * The problems with a talk's times (datetime-local values), by field, in
 * plain words; empty when the server may have them.
 */
export function checkTimes(f: { starts_at: string; ends_at: string; registration_closes_at: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (!f.starts_at) out.starts_at = t('talkEdit.needStart');
  else if (!valid(f.starts_at)) out.starts_at = fullDate(18);
  if (!f.ends_at) out.ends_at = t('talkEdit.needEnd');
  else if (!valid(f.ends_at)) out.ends_at = fullDate(19);
  else if (valid(f.starts_at) && new Date(f.ends_at) <= new Date(f.starts_at)) out.ends_at = t('talkEdit.endAfterStart');
  if (f.registration_closes_at) {
    if (!valid(f.registration_closes_at)) out.registration_closes_at = t('talkEdit.fullDateOrEmpty');
    else if (valid(f.ends_at) && new Date(f.registration_closes_at) > new Date(f.ends_at)) out.registration_closes_at = t('talkEdit.closeBeforeEnd');
  }
  return out;
}

/**
 * A server's field message said for people, in the interface language.
 * The talk's own checks (server/talks/validate.go) answer in English and
 * name the API, so the ones this form can meet are matched here; anything
 * else (the server's catalog translates its shared messages) is shown as a
 * sentence.
 */
export function humanField(field: string, message: string): string {
  if (/RFC 3339/.test(message)) return t(field === 'registration_closes_at' ? 'talkEdit.fullDateOrEmpty' : 'talkEdit.fullDate');
  if (field === 'ends_at' && /after starts_at/.test(message)) return t('talkEdit.endAfterStart');
  if (field === 'registration_closes_at' && /after ends_at/.test(message)) return t('talkEdit.closeBeforeEnd');
  if (field === 'language') return t('talkEdit.chooseLanguage');
  if (field === 'format') return t('talkEdit.chooseFormat');
  let m = /^must be (\d+) to (\d+) characters$/.exec(message);
  if (m) return t('talkEdit.lengthBetween', { min: Number(m[1]), max: Number(m[2]) });
  m = /^must be at most (\d+) characters$/.exec(message);
  if (m) return t('talkEdit.lengthAtMost', { max: Number(m[1]) });
  m = /^must be at most (\d+) tags$/.exec(message);
  if (m) return t('talkEdit.tagsAtMost', { max: Number(m[1]) });
  m = /^each tag must be 1 to (\d+) characters$/.exec(message);
  if (m) return t('talkEdit.tagLength', { max: Number(m[1]) });
  m = /^must be at most (\d+) users$/.exec(message);
  if (m && field === 'speakers') return t('talkEdit.speakersAtMost', { max: Number(m[1]) });
  if (field === 'stream_url' && /URL/.test(message)) return t('talkEdit.streamUrl');
  m = /^must be from 0 to (\d+)/.exec(message);
  if (m && field === 'capacity') return t('talkEdit.capacityRange', { max: Number(m[1]) });
  if (field === 'certificate_min_share' && /share/.test(message)) return t('talkEdit.certificateRange');
  return message.charAt(0).toUpperCase() + message.slice(1) + (/[.!?]$/.test(message) ? '' : '.');
}
