// The interface language: which one, its compiled catalog, and t().
//
// Catalogs are ICU MessageFormat (src/i18n/<code>.json), compiled at build
// time (frontend/i18n/plugin.js) and loaded on demand, one per language.
// The language is the account's `locale`, else the hubtalks_locale cookie,
// else the first supported one of navigator.languages, else English.
import type en from '../i18n/en.json';

export type MessageKey = keyof typeof en;
export type Values = Record<string, unknown>;
/** What a page that needs an account is for: a case of needLogin.text. */
export type LoginReason = 'account' | 'moderate' | 'myTalks' | 'manageTalks' | 'report' | 'console' | 'users' | 'page';
type Catalog = Record<string, (d?: Values) => string>;

export const LOCALES = ['en', 'es', 'fr', 'de', 'it', 'pt'] as const;
export type Locale = (typeof LOCALES)[number];
/** The pseudo-locale of the screenshot run (?lang=en-XA or the cookie). */
export const PSEUDO = 'en-XA';

/** Each language in its own name, for the language menu. */
export const NATIVE_NAMES: Record<Locale, string> = {
  en: 'English',
  es: 'Español',
  fr: 'Français',
  de: 'Deutsch',
  it: 'Italiano',
  pt: 'Português',
};

export const COOKIE = 'hubtalks_locale';

const loaders: Record<string, () => Promise<{ default: Catalog }>> = {
  en: () => import('virtual:messages/en'),
  es: () => import('virtual:messages/es'),
  fr: () => import('virtual:messages/fr'),
  de: () => import('virtual:messages/de'),
  it: () => import('virtual:messages/it'),
  pt: () => import('virtual:messages/pt'),
  [PSEUDO]: () => import('virtual:messages/en-XA'),
};

const state = $state({ locale: 'en' });
let catalog = $state.raw<Catalog>({});

/** The active interface language ("en", "es", … or "en-XA"). */
export function locale(): string {
  return state.locale;
}

/**
 * The locale for Intl formatters: the pseudo-locale formats as English, and
 * Portuguese as in Portugal (the catalog's variety: "1 000 000", "0 votos").
 */
export function intlLocale(): string {
  return state.locale === PSEUDO ? 'en' : state.locale === 'pt' ? 'pt-PT' : state.locale;
}

/** The message `key` in the active language, with its ICU placeholders filled. */
export function t(key: MessageKey, values?: Values): string {
  const f = catalog[key];
  return f ? f(values ?? {}) : key;
}

/** A supported code for a BCP 47 tag ("de-AT" → "de"), or null. */
export function supported(tag: string | null | undefined): string | null {
  if (!tag) return null;
  if (tag === PSEUDO) return PSEUDO;
  const base = tag.toLowerCase().split(/[-_]/)[0];
  return (LOCALES as readonly string[]).includes(base) ? base : null;
}

function readCookie(): string | null {
  if (typeof document === 'undefined') return null;
  const m = new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]*)`).exec(document.cookie);
  return m ? decodeURIComponent(m[1]) : null;
}

function writeCookie(code: string): void {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${COOKIE}=${encodeURIComponent(code)}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
}

/** The language to use: account > ?lang= > cookie > browser > en. */
export function detect(account?: string | null, opts: { query?: string; cookie?: string | null; browser?: readonly string[] } = {}): string {
  const fromAccount = supported(account);
  if (fromAccount) return fromAccount;
  const fromQuery = supported(opts.query);
  if (fromQuery) return fromQuery;
  const fromCookie = supported(opts.cookie);
  if (fromCookie) return fromCookie;
  for (const tag of opts.browser ?? []) {
    const c = supported(tag);
    if (c && c !== PSEUDO) return c;
  }
  return 'en';
}

/** What the page itself offers: the ?lang= parameter, the cookie, the browser's languages. */
export function detectHere(account?: string | null): string {
  const query = typeof location !== 'undefined' ? (new URLSearchParams(location.search).get('lang') ?? '') : '';
  const browser = typeof navigator !== 'undefined' ? (navigator.languages?.length ? navigator.languages : [navigator.language]) : [];
  return detect(account, { query, cookie: readCookie(), browser });
}

let loading: Promise<void> = Promise.resolve();

/** Loads the catalog of `code` and makes it the interface language; sets <html lang>. */
export function useLocale(code: string): Promise<void> {
  const c = supported(code) ?? 'en';
  loading = loading.then(async () => {
    const mod = await loaders[c]();
    catalog = mod.default;
    state.locale = c;
    if (typeof document !== 'undefined') document.documentElement.lang = c;
  });
  return loading;
}

/** The choice of the language menu: remembered in the cookie (and the account, by the caller). */
export async function chooseLocale(code: string): Promise<void> {
  writeCookie(code);
  await useLocale(code);
}

/** "Spanish" for "es", in the interface language (Intl.DisplayNames). */
export function languageName(code: string): string {
  try {
    return new Intl.DisplayNames([intlLocale()], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** The `lang` attribute for content in `code` when it differs from the interface, else undefined. */
export function langAttr(code: string | null | undefined): string | undefined {
  if (!code) return undefined;
  return supported(code) === supported(intlLocale()) ? undefined : code;
}

/** "a, b and c" in the interface language. */
export function fmtList(items: string[], type: 'conjunction' | 'disjunction' = 'conjunction'): string {
  return new Intl.ListFormat(intlLocale(), { style: 'long', type }).format(items);
}

/** A number in the interface language. */
export function fmtNumber(n: number, opts?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(intlLocale(), opts).format(n);
}
