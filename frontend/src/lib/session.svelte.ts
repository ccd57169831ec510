// The signed-in user, shared by every page.
import { api, setCsrfToken, type User } from './api';
import { reconnectLive } from './live';
import { detectHere, locale, useLocale } from './i18n.svelte';

/** The account's language (`locale` of the user object; absent before the server knows it). */
export function accountLocale(u: User | null): string | null {
  const l = (u as { locale?: string | null } | null)?.locale;
  return typeof l === 'string' && l ? l : null;
}

/** Switches to the account's language when it has one. */
function followAccount(u: User | null): void {
  const want = detectHere(accountLocale(u));
  if (accountLocale(u) && want !== locale()) void useLocale(want);
}

export const session = $state<{ user: User | null; loaded: boolean; error: string }>({
  user: null,
  loaded: false,
  error: '',
});

export async function loadSession(): Promise<void> {
  try {
    session.user = await api.me();
    session.error = '';
    followAccount(session.user);
  } catch (e) {
    session.user = null;
    session.error = e instanceof Error ? e.message : String(e);
  } finally {
    session.loaded = true;
  }
}

export function signedIn(u: User): void {
  session.user = u;
  session.loaded = true;
  followAccount(u);
  reconnectLive();
  // Fetch /me once more for the CSRF token header, if the server hands one out.
  void api.me().then((x) => {
    if (x) session.user = x;
  }).catch(() => {});
}

export async function logout(): Promise<void> {
  try {
    await api.logout();
  } finally {
    session.user = null;
    setCsrfToken(null);
    reconnectLive();
  }
}
