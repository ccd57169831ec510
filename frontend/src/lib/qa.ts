// Pure Q&A state: applies live events (question.*, answer.created) to a list
// of questions and ranks them. No DOM, no network; unit-tested.

import type { Answer, Question } from './api';
import type { LiveEvent } from './live';

export type Sort = 'top' | 'recent';

export interface View {
  /** Staff see pending and dismissed questions too. */
  staff: boolean;
  /** The viewer's user id: their own pending questions stay visible to them. */
  userId?: number | null;
  /** Ids of questions this viewer asked in this session (anonymous ones carry no author). */
  mine?: Set<number>;
}

/** Whether a question belongs in this viewer's list. */
export function visible(q: Question, v: View): boolean {
  if (v.staff) return true;
  if (q.status === 'approved' || q.status === 'answered') return true;
  if (q.status !== 'pending') return false;
  return (v.userId != null && q.author?.id === v.userId) || !!v.mine?.has(q.id);
}

function mergeAnswers(a: Answer[] = [], b: Answer[] = []): Answer[] {
  if (!b.length) return a;
  const byId = new Map<number, Answer>();
  for (const x of a) byId.set(x.id, x);
  for (const x of b) byId.set(x.id, x);
  return [...byId.values()].sort((x, y) => cmpTime(x.created_at, y.created_at) || x.id - y.id);
}

function cmpTime(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b);
}

/**
 * Merges a fresh copy of a question into an existing one. Broadcast copies do
 * not know this viewer: `voted` is kept from what we know, and an author
 * hidden from the broadcast (anonymous) does not erase one we were shown.
 */
export function mergeQuestion(old: Question | undefined, next: Question): Question {
  if (!old) return { ...next, answers: next.answers ?? [], voted: !!next.voted };
  if (old.updated_at && next.updated_at && cmpTime(next.updated_at, old.updated_at) < 0) {
    // An older copy (e.g. a replayed event after a newer HTTP load): keep ours,
    // but still take answers we may not have.
    return { ...old, answers: mergeAnswers(old.answers, next.answers) };
  }
  return {
    ...old,
    ...next,
    voted: old.voted,
    author: next.author ?? old.author,
    answers: mergeAnswers(old.answers, next.answers),
  };
}

/** Applies one live event to the list; returns a new list (or the same one if nothing changed). */
export function applyEvent(list: Question[], ev: Pick<LiveEvent, 'type' | 'data'>, v: View): Question[] {
  const d = ev.data;
  if (!d || typeof d !== 'object') return list;
  switch (ev.type) {
    case 'question.created':
    case 'question.updated': {
      const q = d as Question;
      const i = list.findIndex((x) => x.id === q.id);
      const merged = mergeQuestion(i >= 0 ? list[i] : undefined, q);
      let out = list.slice();
      if (!visible(merged, v)) {
        return i >= 0 ? (out.splice(i, 1), out) : list;
      }
      if (i >= 0) out[i] = merged;
      else out.push(merged);
      // At most one pinned question per talk: a new pin unpins the others.
      if (merged.pinned) out = out.map((x) => (x.id !== merged.id && x.pinned ? { ...x, pinned: false } : x));
      return out;
    }
    case 'question.removed': {
      const id = (d as { id: number }).id;
      if (v.staff) {
        // Staff keep seeing dismissed items (as dismissed) until a reload.
        return list.map((x) => (x.id === id ? { ...x, status: 'dismissed', pinned: false } : x));
      }
      return list.some((x) => x.id === id) ? list.filter((x) => x.id !== id) : list;
    }
    case 'question.voted': {
      const { id, votes } = d as { id: number; votes: number };
      const i = list.findIndex((x) => x.id === id);
      if (i < 0 || list[i].votes === votes) return list;
      const out = list.slice();
      out[i] = { ...out[i], votes };
      return out;
    }
    case 'answer.created': {
      const a = d as Answer;
      const i = list.findIndex((x) => x.id === a.question_id);
      if (i < 0 || list[i].answers?.some((x) => x.id === a.id)) return list;
      const out = list.slice();
      out[i] = { ...out[i], answers: mergeAnswers(out[i].answers, [a]) };
      return out;
    }
    default:
      return list;
  }
}

/** Replaces the list with a fresh HTTP snapshot, keeping nothing stale. */
export function fromSnapshot(items: Question[], v: View): Question[] {
  return items.filter((q) => visible(q, v)).map((q) => ({ ...q, answers: q.answers ?? [], voted: !!q.voted }));
}

/** top: votes desc, then oldest first; recent: newest first. Ties by id. */
export function rank(list: Question[], sort: Sort): Question[] {
  const out = list.slice();
  if (sort === 'top') {
    out.sort((a, b) => b.votes - a.votes || cmpTime(a.created_at, b.created_at) || a.id - b.id);
  } else {
    out.sort((a, b) => cmpTime(b.created_at, a.created_at) || b.id - a.id);
  }
  return out;
}

/** The answered questions of list, the latest answered first. */
export function answeredFirst(list: Question[]): Question[] {
  return list
    .filter((q) => q.status === 'answered')
    .sort((a, b) => cmpTime(b.answered_at ?? b.updated_at, a.answered_at ?? a.updated_at) || b.id - a.id);
}

/** The question being answered now, if any. */
export function pinnedOf(list: Question[]): Question | undefined {
  return list.find((q) => q.pinned && q.status !== 'dismissed');
}

/** Optimistic vote toggle, before the server answers. */
export function toggleVote(list: Question[], id: number): Question[] {
  return list.map((q) => (q.id === id ? { ...q, voted: !q.voted, votes: Math.max(0, q.votes + (q.voted ? -1 : 1)) } : q));
}

/** Sets the vote state the server confirmed (or rolls an optimistic one back). */
export function setVote(list: Question[], id: number, votes: number, voted: boolean): Question[] {
  return list.map((q) => (q.id === id ? { ...q, votes, voted } : q));
}
