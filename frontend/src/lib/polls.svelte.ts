// A talk's polls and reactions for a page: the polls (an HTTP snapshot kept
// current by poll.* events) and the reactions floating up. One per LiveTalk
// (pollsOf), shared by every component of the page.

import { api, type Ballot, type Poll, type PollResults } from './api';
import { t } from './i18n.svelte';
import type { LiveEvent } from './live';
import type { LiveTalk } from './livetalk.svelte';
import { Resync } from './resync';

export const EMOJIS = ['👏', '❤️', '😂', '🤔', '💡'] as const;
export type Emoji = (typeof EMOJIS)[number];

/** One emoji on its way up the screen. */
export interface Floater {
  id: number;
  emoji: string;
  /** Horizontal position, 0–100 (%). */
  x: number;
}

/** The most floaters one reactions event adds, however many people reacted. */
const MAX_FLOATERS = 12;

/** Applies an event to a list of polls (newest first). */
export function applyPollEvent(polls: Poll[], ev: LiveEvent): Poll[] {
  if (ev.type === 'poll.results') {
    const r = ev.data as PollResults;
    return polls.map((p) => (p.id === r.id ? { ...p, ballots: r.ballots, counts: r.counts, words: r.words, average: r.average } : p));
  }
  if (ev.type !== 'poll.opened' && ev.type !== 'poll.closed') return polls;
  const next = ev.data as Poll;
  const old = polls.find((p) => p.id === next.id);
  // Events carry no caller: keep what we know of our own ballot, and
  // results we already see (the staff channel's) over an empty public copy.
  const merged: Poll = { ...next, my_ballot: old?.my_ballot ?? null };
  if (old && next.counts === null && next.words === null && (old.counts !== null || old.words !== null) && ev.channel?.endsWith(':staff') === false) {
    merged.counts = old.counts;
    merged.words = old.words;
    merged.average = old.average;
  }
  const rest = polls.filter((p) => p.id !== next.id);
  return [merged, ...rest].sort((a, b) => b.id - a.id);
}

/** The poll a room shows: the open one, else the most recently closed one with results. */
export function current(polls: Poll[]): Poll | undefined {
  return polls.find((p) => p.status === 'open') ?? polls.find((p) => p.status === 'closed' && (p.counts !== null || p.words !== null));
}

export class LivePolls {
  polls = $state<Poll[]>([]);
  loaded = $state(false);
  error = $state<unknown>(null);
  floaters = $state<Floater[]>([]);
  private seq = 0;
  private resync = new Resync<LiveEvent>();

  constructor(private readonly talkId: number) {}

  /** Applies a live event; null reloads over HTTP. */
  on(ev: LiveEvent | null): void {
    if (ev === null) {
      void this.reload();
      return;
    }
    if (ev.type === 'reactions') {
      this.float((ev.data as { counts?: Record<string, number> })?.counts ?? {});
      return;
    }
    this.resync.note(ev);
    this.polls = applyPollEvent(this.polls, ev);
  }

  /** Loads the polls over HTTP; events that arrive meanwhile are applied on top. */
  async reload(): Promise<void> {
    await this.resync.load(() => api.polls(this.talkId), {
      settle: (page, missed) => {
        let list = page.items;
        for (const ev of missed) list = applyPollEvent(list, ev);
        this.polls = list;
        this.error = null;
      },
      fail: (e) => (this.error = e),
      done: () => (this.loaded = true),
    });
  }


  /** Puts a poll the page just changed into the list (its event may come later). */
  upsert(p: Poll): void {
    const old = this.polls.find((x) => x.id === p.id);
    this.polls = [{ ...p, my_ballot: p.my_ballot ?? old?.my_ballot ?? null }, ...this.polls.filter((x) => x.id !== p.id)].sort((a, b) => b.id - a.id);
  }

  /** Casts the caller's ballot; the list shows it once the server has it. */
  async cast(p: Poll, body: Omit<Ballot, 'poll_id'>): Promise<void> {
    const b = await api.castBallot(p.id, body);
    this.polls = this.polls.map((x) => (x.id === p.id ? { ...x, my_ballot: b } : x));
  }

  /** Sends a reaction (the server drops those over its per-person limit). */
  async react(emoji: Emoji): Promise<void> {
    await api.react(this.talkId, emoji);
  }

  /** Floats a second's reactions: a few emojis per kind, never a flood. */
  private float(counts: Record<string, number>): void {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (!total || matchMedia?.('(prefers-reduced-motion: reduce)').matches) return;
    const added: Floater[] = [];
    for (const [emoji, n] of Object.entries(counts)) {
      const k = Math.max(1, Math.round((n / total) * Math.min(total, MAX_FLOATERS)));
      for (let i = 0; i < k && added.length < MAX_FLOATERS; i++) added.push({ id: ++this.seq, emoji, x: 5 + Math.random() * 90 });
    }
    this.floaters = [...this.floaters, ...added].slice(-3 * MAX_FLOATERS);
    const ids = new Set(added.map((f) => f.id));
    setTimeout(() => (this.floaters = this.floaters.filter((f) => !ids.has(f.id))), 3200);
  }
}

const byTalk = new WeakMap<LiveTalk, LivePolls>();

/** The polls of live's talk, loaded and followed once per LiveTalk. */
export function pollsOf(live: LiveTalk): LivePolls {
  let p = byTalk.get(live);
  if (!p) {
    const created = new LivePolls(live.talk.id);
    p = created;
    byTalk.set(live, created);
    live.onPolls((ev) => created.on(ev));
    void created.reload();
  }
  return p;
}

/** The share of n in total, as a whole percentage. */
export function percent(n: number, total: number): number {
  return total > 0 ? Math.round((n * 100) / total) : 0;
}

/** The bars of a choice or rating poll: label and count, in order. */
export function bars(p: Poll): { label: string; count: number }[] {
  if (!p.counts) return [];
  if (p.kind === 'rating') return p.counts.map((c, i) => ({ label: '★'.repeat(i + 1), count: c }));
  return p.counts.map((c, i) => ({ label: p.options[i] ?? `#${i + 1}`, count: c }));
}

export interface PollTemplate {
  name: string;
  poll: { question: string; kind: Poll['kind']; options?: string[] };
}

/**
 * Templates for the polls webinar hosts run most, in the interface language:
 * a poll made from one is stored in the words the moderator saw.
 */
export function pollTemplates(): PollTemplate[] {
  return [
    {
      name: t('pollt.where'),
      poll: {
        question: t('pollt.where'),
        kind: 'single',
        options: [t('pollt.europe'), t('pollt.africa'), t('pollt.asia'), t('pollt.americas'), t('pollt.oceania')],
      },
    },
    {
      name: t('pollt.framework'),
      poll: {
        question: t('pollt.frameworkQuestion'),
        kind: 'single',
        options: [t('pollt.yes'), t('pollt.inProgress'), t('pollt.no'), t('pollt.notSure')],
      },
    },
    { name: t('pollt.oneWord'), poll: { question: t('pollt.oneWordQuestion'), kind: 'words' } },
    { name: t('pollt.rate'), poll: { question: t('pollt.rateQuestion'), kind: 'rating' } },
  ];
}
