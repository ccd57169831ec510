// The moderation log and flag queue in words: the API's action codes and
// targets as a moderator reads them.
import type { Flag, LogEntry } from './api';

const ACTIONS: Record<string, string> = {
  approve: 'Approved',
  dismiss: 'Dismissed',
  restore: 'Restored',
  mark_answered: 'Marked answered',
  unmark_answered: 'Unmarked answered',
  pin: 'Pinned',
  unpin: 'Unpinned',
  answer: 'Answered',
  hide: 'Hid',
  unhide: 'Showed again',
  lock: 'Locked',
  unlock: 'Unlocked',
  edit_title: 'Renamed',
  resolve_flag: 'Resolved a report',
  dismiss_flag: 'Dismissed a report',
  reopen_flag: 'Reopened a report',
  hide_blocked_words: 'Hid (blocked words)',
  hold_blocked_words: 'Held for review (blocked words)',
  withdraw: 'Withdrawn by the author',
};

/** "dismiss_flag" → "Dismissed a report"; an unknown code in words. */
export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action.charAt(0).toUpperCase() + action.slice(1).replace(/_/g, ' ');
}

const KINDS: Record<string, string> = { question: 'Question', post: 'Post', thread: 'Thread', flag: 'Report', poll: 'Poll' };

/** "question #5" → "Question 5". */
export function targetLabel(t: LogEntry['target']): string {
  return `${KINDS[t.type] ?? t.type} ${t.id}`;
}

const STATUS: Record<string, string> = {
  pending: 'awaiting moderation',
  approved: 'shown',
  answered: 'answered',
  dismissed: 'dismissed',
  visible: 'shown',
  hidden: 'hidden',
  deleted: 'deleted',
};

/** Where a flagged item stands now, in words. */
export function targetStatus(f: Flag): string {
  return f.target.status ? (STATUS[f.target.status] ?? f.target.status) : '';
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
