// The moderation log and flag queue in words: the API's action codes and
// targets as a moderator reads them.
import type { Flag, LogEntry } from './api';
import { t } from './i18n.svelte';

/** "dismiss_flag" → "Dismissed a report"; an unknown code in words. */
export function actionLabel(action: string): string {
  return t('modlog.action', { action, words: action.charAt(0).toUpperCase() + action.slice(1).replace(/_/g, ' ') });
}

/** "question #5" → "Question 5". */
export function targetLabel(target: LogEntry['target']): string {
  return t('modlog.target', { type: target.type, id: target.id });
}

/** Where a flagged item stands now, in words. */
export function targetStatus(f: Flag): string {
  return f.target.status ? t('modlog.status', { status: f.target.status }) : '';
}

/** Whether the flagged item is already out of public view. */
export function targetGone(f: Flag): boolean {
  return f.target.status === 'dismissed' || f.target.status === 'hidden' || f.target.status === 'deleted';
}

/** The link to a flagged item: its question in the console, its thread in the live room. */
export function targetHref(f: Flag): string | null {
  const talk = f.target.talk_id ?? f.talk_id;
  if (f.target.type === 'post' && f.target.thread_id) return `/talks/${talk}/live?tab=discussion&thread=${f.target.thread_id}`;
  if (f.target.type === 'question') return `/talks/${talk}/console#question-${f.target.id}`;
  return `/talks/${talk}`;
}
