import { describe, expect, it } from 'vitest';
import type { Question } from './api';
import { applyEvent, fromSnapshot, pinnedOf, rank, setVote, toggleVote } from './qa';

let n = 0;
function q(p: Partial<Question> = {}): Question {
  n++;
  return {
    id: n,
    talk_id: 1,
    body: `q${n}`,
    author: { id: 100 + n, display_name: `u${n}` },
    anonymous: false,
    status: 'approved',
    pinned: false,
    votes: 0,
    voted: false,
    answers: [],
    answered_at: null,
    recording_at: null,
    created_at: `2026-11-27T10:00:${String(n % 60).padStart(2, '0')}Z`,
    updated_at: `2026-11-27T10:00:${String(n % 60).padStart(2, '0')}Z`,
    ...p,
  };
}
const pub = { staff: false, userId: 1 };
const staff = { staff: true };

describe('rank', () => {
  it('top: votes desc, then oldest first', () => {
    const a = q({ votes: 2, created_at: '2026-11-27T10:00:05Z' });
    const b = q({ votes: 5, created_at: '2026-11-27T10:00:06Z' });
    const c = q({ votes: 2, created_at: '2026-11-27T10:00:01Z' });
    expect(rank([a, b, c], 'top').map((x) => x.id)).toEqual([b.id, c.id, a.id]);
  });
  it('recent: newest first', () => {
    const a = q({ created_at: '2026-11-27T10:00:05Z' });
    const b = q({ created_at: '2026-11-27T10:00:09Z' });
    const c = q({ created_at: '2026-11-27T10:00:01Z' });
    expect(rank([a, b, c], 'recent').map((x) => x.id)).toEqual([b.id, a.id, c.id]);
  });
});

describe('applyEvent', () => {
  it('adds a created question once', () => {
    const x = q();
    let l = applyEvent([], { type: 'question.created', data: x }, pub);
    l = applyEvent(l, { type: 'question.created', data: x }, pub);
    expect(l).toHaveLength(1);
  });

  it('hides pending questions from the public but shows them to staff and to their author', () => {
    const p = q({ status: 'pending' });
    expect(applyEvent([], { type: 'question.created', data: p }, pub)).toHaveLength(0);
    expect(applyEvent([], { type: 'question.created', data: p }, staff)).toHaveLength(1);
    expect(applyEvent([], { type: 'question.created', data: p }, { staff: false, userId: p.author!.id })).toHaveLength(1);
  });

  it('an approval makes a question appear for participants', () => {
    const p = q({ status: 'pending' });
    const l = applyEvent([], { type: 'question.updated', data: { ...p, status: 'approved' } }, pub);
    expect(l.map((x) => x.id)).toEqual([p.id]);
  });

  it('updates keep the viewer\'s own voted flag and merge answers', () => {
    const a = q({ voted: true, votes: 3 });
    const ans = { id: 9, question_id: a.id, body: 'yes', author: { id: 1, display_name: 's' }, created_at: '2026-11-27T10:05:00Z' };
    let l = applyEvent([a], { type: 'answer.created', data: ans }, pub);
    l = applyEvent(l, { type: 'answer.created', data: ans }, pub);
    expect(l[0].answers).toHaveLength(1);
    l = applyEvent(l, { type: 'question.updated', data: { ...a, voted: false, status: 'answered', answers: [], updated_at: '2026-11-27T11:00:00Z' } }, pub);
    expect(l[0].voted).toBe(true);
    expect(l[0].status).toBe('answered');
    expect(l[0].answers.map((x) => x.body)).toEqual(['yes']);
  });

  it('ignores an older copy of a question', () => {
    const a = q({ body: 'new', updated_at: '2026-11-27T12:00:00Z' });
    const l = applyEvent([a], { type: 'question.updated', data: { ...a, body: 'old', updated_at: '2026-11-27T11:00:00Z' } }, pub);
    expect(l[0].body).toBe('new');
  });

  it('a dismissal removes the question for participants', () => {
    const a = q();
    expect(applyEvent([a], { type: 'question.updated', data: { ...a, status: 'dismissed' } }, pub)).toHaveLength(0);
    expect(applyEvent([a], { type: 'question.removed', data: { id: a.id } }, pub)).toHaveLength(0);
    expect(applyEvent([a], { type: 'question.removed', data: { id: a.id } }, staff)[0].status).toBe('dismissed');
  });

  it('votes set the latest count', () => {
    const a = q({ votes: 1 });
    const l = applyEvent([a], { type: 'question.voted', data: { id: a.id, votes: 7 } }, pub);
    expect(l[0].votes).toBe(7);
    expect(rank([q({ votes: 3 }), ...l], 'top')[0].id).toBe(a.id);
  });

  it('one pinned question at a time', () => {
    const a = q({ pinned: true });
    const b = q();
    const l = applyEvent([a, b], { type: 'question.updated', data: { ...b, pinned: true } }, pub);
    expect(pinnedOf(l)?.id).toBe(b.id);
    expect(l.filter((x) => x.pinned)).toHaveLength(1);
  });

  it('unknown events and events for unknown questions change nothing', () => {
    const l = [q()];
    expect(applyEvent(l, { type: 'talk.updated', data: {} }, pub)).toBe(l);
    expect(applyEvent(l, { type: 'question.voted', data: { id: 99999, votes: 1 } }, pub)).toBe(l);
  });
});

describe('votes', () => {
  it('optimistic toggle and confirm / roll back', () => {
    const a = q({ votes: 2 });
    let l = toggleVote([a], a.id);
    expect(l[0]).toMatchObject({ votes: 3, voted: true });
    l = setVote(l, a.id, 2, false);
    expect(l[0]).toMatchObject({ votes: 2, voted: false });
  });
});

describe('fromSnapshot', () => {
  it('drops what the viewer may not see', () => {
    expect(fromSnapshot([q({ status: 'dismissed' }), q()], pub)).toHaveLength(1);
  });
});

describe('own anonymous pending questions', () => {
  it('stay visible to the asker', () => {
    const p = q({ status: 'pending', author: null, anonymous: true });
    expect(applyEvent([], { type: 'question.created', data: p }, { staff: false, userId: 1, mine: new Set([p.id]) })).toHaveLength(1);
    expect(applyEvent([], { type: 'question.created', data: p }, { staff: false, userId: 1 })).toHaveLength(0);
  });
});
