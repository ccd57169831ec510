// One talk's live state for a page: questions (merged from HTTP snapshots and
// live events), viewers, the talk itself, and the connection status. Used by
// the live room, the console and the projector view.

import { api, type Question, type Talk } from './api';
import { endsSubscription, liveClient, type LiveEvent, type LiveStatus } from './live';
import { applyEvent, fromSnapshot, setVote, toggleVote, type View } from './qa';
import { Resync } from './resync';
import { Action } from './action.svelte';
import { confirmDialog } from './dialog.svelte';
import { t } from './i18n.svelte';

export class LiveTalk {
  talk = $state<Talk>() as Talk;
  questions = $state<Question[]>([]);
  viewers = $state<number | null>(null);
  status = $state<LiveStatus>('connecting');
  loading = $state(true);
  error = $state<unknown>(null);
  /** Set when the staff channel reported an error that did not end it. */
  staffError = $state('');
  /**
   * The talk's public channel ended (refused or revoked, e.g. the talk went
   * back to draft): nothing live arrives any more, so pages stop showing
   * the room rather than stale data.
   */
  ended = $state(false);
  /**
   * The staff channel ended (e.g. the speaker was removed from the talk):
   * the viewer is no longer staff here. The questions are reloaded as
   * anyone sees them.
   */
  notStaff = $state(false);
  /** Staff: open reports per question id (the moderators' queue, then flag.created events). */
  reports = $state<Record<number, number>>({});
  /** Listeners for discussion events (thread.*, post.*). */
  private discussion = new Set<(ev: LiveEvent) => void>();
  /** Listeners for poll.* and reactions events; null: reload over HTTP. */
  private polls = new Set<(ev: LiveEvent | null) => void>();
  private resync = new Resync<LiveEvent>();
  private view: View;

  constructor(talk: Talk, view: View) {
    this.talk = talk;
    this.view = { ...view, mine: view.mine ?? new Set() };
  }

  /** Whether the viewer asked q (their own, anonymous ones included). */
  isMine(q: Question): boolean {
    return (this.view.userId != null && q.author?.id === this.view.userId) || !!this.view.mine?.has(q.id);
  }

  /** Remembers a question the viewer asked, so it stays visible while pending. */
  asked(q: Question): void {
    this.view.mine?.add(q.id);
    this.upsert(q);
  }

  /** Subscribes to the talk's channels; returns the cleanup function. */
  start(): () => void {
    const client = liveClient();
    const offs: (() => void)[] = [];
    offs.push(client.onStatus((s) => (this.status = s)));
    offs.push(
      client.subscribe(`talk:${this.talk.id}`, {
        event: (ev) => this.onEvent(ev),
        reload: () => void this.reload(),
        error: (code) => {
          if (endsSubscription(code)) this.ended = true;
        },
      }),
    );
    if (this.view.staff) {
      offs.push(
        client.subscribe(`talk:${this.talk.id}:staff`, {
          event: (ev) => this.onEvent(ev),
          reload: () => void this.reload(),
          error: (code, msg) => {
            if (!endsSubscription(code)) {
              this.staffError = msg || t('live.staffError');
              return;
            }
            this.notStaff = true;
            this.view = { ...this.view, staff: false };
            void this.reload();
            void this.reloadTalk();
          },
        }),
      );
    }
    if (this.view.staff) void this.loadReports();
    return () => offs.forEach((f) => f());
  }

  /** The talk's open reports on questions, from the moderators' queue (speakers only hear new ones). */
  async loadReports(): Promise<void> {
    try {
      const counts: Record<number, number> = {};
      for (const f of (await api.flags()).items)
        if (f.talk_id === this.talk.id && f.status === 'open' && f.target.type === 'question') counts[f.target.id] = (counts[f.target.id] ?? 0) + 1;
      this.reports = counts;
    } catch {
      /* not a moderator: only live reports */
    }
  }

  onDiscussion(fn: (ev: LiveEvent) => void): () => void {
    this.discussion.add(fn);
    return () => this.discussion.delete(fn);
  }

  onPolls(fn: (ev: LiveEvent | null) => void): () => void {
    this.polls.add(fn);
    return () => this.polls.delete(fn);
  }

  private onEvent(ev: LiveEvent): void {
    if (ev.type.startsWith('poll.') || ev.type === 'reactions') {
      for (const fn of this.polls) fn(ev);
      return;
    }
    if (ev.type === 'presence') {
      const v = (ev.data as { viewers?: number })?.viewers;
      if (typeof v === 'number') this.viewers = v;
      return;
    }
    if (ev.type === 'talk.updated') {
      if (ev.data && ev.data.id === this.talk.id) this.talk = { ...this.talk, ...ev.data };
      return;
    }
    if (ev.type === 'flag.created') {
      const t = (ev.data as { target?: { type?: string; id?: number } })?.target;
      if (t?.type === 'question' && typeof t.id === 'number') this.reports = { ...this.reports, [t.id]: (this.reports[t.id] ?? 0) + 1 };
      return;
    }
    if (ev.type.startsWith('thread.') || ev.type.startsWith('post.')) {
      for (const fn of this.discussion) fn(ev);
      return;
    }
    this.resync.note(ev);
    this.questions = applyEvent(this.questions, ev, this.view);
  }

  /** Loads the questions over HTTP; events that arrive meanwhile are applied on top. */
  async reload(): Promise<void> {
    for (const fn of this.polls) fn(null);
    await this.resync.load(
      () =>
        Promise.all([
          api.questions(this.talk.id, { sort: 'top' }),
          this.view.staff ? api.questions(this.talk.id, { status: 'pending' }).catch(() => ({ items: [] as Question[] })) : null,
        ]),
      {
        settle: ([all, pending], missed) => {
          const byId = new Map<number, Question>();
          for (const q of [...all.items, ...(pending?.items ?? [])]) byId.set(q.id, q);
          let list = fromSnapshot([...byId.values()], this.view);
          for (const ev of missed) list = applyEvent(list, ev, this.view);
          this.questions = list;
          this.error = null;
        },
        fail: (e) => (this.error = e),
        done: () => (this.loading = false),
      },
    );
  }

  /** Also refreshes the talk (status, Q&A settings). */
  async reloadTalk(): Promise<void> {
    try {
      this.talk = await api.talk(this.talk.id);
    } catch {
      /* keep what we have */
    }
  }

  /** Optimistic vote: the count changes at once and is corrected by the server's answer. */
  async vote(q: Question): Promise<void> {
    const wasVoted = q.voted;
    const before = { votes: q.votes, voted: q.voted };
    this.questions = toggleVote(this.questions, q.id);
    try {
      const r = wasVoted ? await api.unvote(q.id) : await api.vote(q.id);
      this.questions = setVote(this.questions, r.id, r.votes, r.voted);
    } catch (e) {
      this.questions = setVote(this.questions, q.id, before.votes, before.voted);
      throw e;
    }
  }

  /** The staff's request to start or end the session: its busy flag and error. */
  readonly statusChange = new Action();

  /** Starts or ends the session; ending closes Q&A for everyone, so it asks first. */
  async setStatus(s: 'live' | 'ended'): Promise<void> {
    if (s === 'ended' && !(await confirmDialog({ title: t('live.endTitle'), message: t('live.endMessage'), confirm: t('live.end'), cancel: t('live.keepLive'), danger: true })))
      return;
    await this.statusChange.run(async () => {
      this.talk = await api.setTalkStatus(this.talk.id, s);
    });
  }

  /** Puts a question we just created or changed into the list (the event may come later). */
  upsert(q: Question): void {
    this.questions = applyEvent(this.questions, { type: 'question.updated', data: q }, this.view);
  }
}
