import type { Question } from './api';
import { t } from './i18n.svelte';

// The projector's preferences, kept on the machine that shows it.

/** localStorage key of the projector's "show askers' names" choice. */
export const NAMES_KEY = 'hubtalks.present.names';

/**
 * Whether the projector shows askers' names: `?names=0` or `?names=1` in the
 * address wins (a moderator can open that URL on the projector machine),
 * then the last choice made on this machine, then yes (as Slido does).
 */
export function showNames(search: string, stored: string | null): boolean {
  const v = new URLSearchParams(search).get('names');
  if (v === '0' || v === '1') return v === '1';
  return stored !== '0';
}

/** The name a question is shown with: its author's, unless asked anonymously. */
export function askerName(q: Pick<Question, 'author' | 'anonymous'>): string {
  return q.author && !q.anonymous ? q.author.display_name : t('question.anonymous');
}
