// The talk editor's own rules: the values the server accepts for a talk's
// language and format (server/talks/validate.go), the defaults of a new
// talk, and the time checks said in words a person reads.

export const FORMATS = [
  { value: 'online', label: 'Online' },
  { value: 'onsite', label: 'On site' },
  { value: 'hybrid', label: 'Hybrid' },
] as const;

/** Language codes (BCP 47, as the server checks them) with their names. */
export const LANGUAGES: { value: string; label: string }[] = [
  { value: 'en', label: 'English' },
  { value: 'nl', label: 'Dutch' },
  { value: 'fr', label: 'French' },
  { value: 'de', label: 'German' },
  { value: 'es', label: 'Spanish' },
  { value: 'it', label: 'Italian' },
  { value: 'pt', label: 'Portuguese' },
  { value: 'pt-BR', label: 'Portuguese (Brazil)' },
  { value: 'pl', label: 'Polish' },
  { value: 'sv', label: 'Swedish' },
  { value: 'da', label: 'Danish' },
  { value: 'fi', label: 'Finnish' },
  { value: 'el', label: 'Greek' },
  { value: 'cs', label: 'Czech' },
  { value: 'ro', label: 'Romanian' },
  { value: 'hu', label: 'Hungarian' },
];

/** The languages to offer: the list, plus a talk's own code if it is not in it. */
export function languageOptions(current: string): { value: string; label: string }[] {
  if (!current || LANGUAGES.some((l) => l.value === current)) return LANGUAGES;
  return [...LANGUAGES, { value: current, label: current }];
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

/**
 * The problems with a talk's times (datetime-local values), by field, in
 * plain words; empty when the server may have them.
 */
export function checkTimes(f: { starts_at: string; ends_at: string; registration_closes_at: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (!f.starts_at) out.starts_at = 'Enter the date and time the talk starts.';
  else if (!valid(f.starts_at)) out.starts_at = 'Enter a full date and time, e.g. 14/05/2027 18:00.';
  if (!f.ends_at) out.ends_at = 'Enter the date and time the talk ends.';
  else if (!valid(f.ends_at)) out.ends_at = 'Enter a full date and time, e.g. 14/05/2027 19:00.';
  else if (valid(f.starts_at) && new Date(f.ends_at) <= new Date(f.starts_at)) out.ends_at = 'The talk must end after it starts.';
  if (f.registration_closes_at) {
    if (!valid(f.registration_closes_at)) out.registration_closes_at = 'Enter a full date and time, or leave it empty.';
    else if (valid(f.ends_at) && new Date(f.registration_closes_at) > new Date(f.ends_at))
      out.registration_closes_at = 'Registration must close before the talk ends.';
  }
  return out;
}

/** The server's field messages that name the API rather than the form, said for people. */
export function humanField(field: string, message: string): string {
  if (/RFC 3339/.test(message)) return field === 'registration_closes_at' ? 'Enter a full date and time, or leave it empty.' : 'Enter a full date and time.';
  if (field === 'ends_at' && /after starts_at/.test(message)) return 'The talk must end after it starts.';
  if (field === 'registration_closes_at' && /after ends_at/.test(message)) return 'Registration must close before the talk ends.';
  if (field === 'language') return 'Choose a language from the list.';
  if (field === 'format') return 'Choose online, on site or hybrid.';
  return message.charAt(0).toUpperCase() + message.slice(1) + (/[.!?]$/.test(message) ? '' : '.');
}
