// Client-side rules of the account pages: what can be told before asking
// the server (the server still checks everything), and the wording of waits.
import { tick } from 'svelte';
import { t } from './i18n.svelte';

/** The shortest password the server accepts (api.md, Accounts). */
export const MIN_PASSWORD = 10;
/** The longest display name the server accepts, after trimming. */
export const MAX_NAME = 60;

export type PasswordProblems = { password?: string; confirmation?: string };

/**
 * What is wrong with a new password and its repetition, as far as the page
 * can tell; the server adds its own checks (common passwords, the email).
 */
export function checkNewPassword(password: string, confirmation: string): PasswordProblems {
  const out: PasswordProblems = {};
  if (password.length < MIN_PASSWORD) out.password = t('account.minPassword', { count: MIN_PASSWORD });
  if (confirmation !== password) out.confirmation = t('account.notSame');
  return out;
}

/** What is wrong with a display name before it is sent, if anything. */
export function checkDisplayName(name: string): string | undefined {
  const n = name.trim();
  if (!n) return t('signup.needName');
  if ([...n.normalize('NFC')].length > MAX_NAME) return t('account.maxName', { count: MAX_NAME });
  return undefined;
}

/** "in 45 seconds", "in 2 minutes", "in about 2 hours": when a wait of that many seconds ends. */
export function waitText(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds <= 0) return t('wait.moment');
  const s = Math.ceil(seconds);
  if (s < 60) return t('wait.seconds', { count: s });
  const m = Math.ceil(s / 60);
  if (m < 60) return t('wait.minutes', { count: m });
  return t('wait.hours', { count: Math.round(m / 60) });
}

/** The ?token= of a link from a message, or '' when there is none. */
export function tokenFrom(search: string): string {
  return (new URLSearchParams(search).get('token') ?? '').trim();
}

/** Whether the user has an address still to confirm (guests have none). */
export function needsVerification(user: { email?: string | null; email_verified?: boolean } | null): boolean {
  return !!user?.email && user.email_verified === false;
}

/**
 * Puts the cursor in the first field of form the page marked invalid, once
 * the page shows the marks: a screen reader then reads its label and message.
 */
export async function focusFirstInvalid(form: HTMLFormElement | null): Promise<void> {
  await tick();
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}
