import { describe, expect, it, vi } from 'vitest';
import { api, type Poll } from './api';
import { applyPollEvent, bars, current, LivePolls, percent, pollTemplates } from './polls.svelte';
import { useLocale } from './i18n.svelte';

function poll(over: Partial<Poll>): Poll {
  return {
    id: 1, talk_id: 7, question: 'Where from?', kind: 'single', options: ['EU', 'AF'], max_choices: 1, results: 'live',
    status: 'open', ballots: 0, counts: [0, 0], words: null, average: null, my_ballot: null, opened_at: null, closed_at: null, ...over,
  };
}

describe('poll events', () => {
  it('applies results and keeps my ballot across opened/closed', () => {
    let ps = [poll({ my_ballot: { poll_id: 1, choices: [1] } })];
    ps = applyPollEvent(ps, { channel: 'talk:7', type: 'poll.results', data: { id: 1, ballots: 3, counts: [1, 2], words: null, average: null } });
    expect(ps[0].counts).toEqual([1, 2]);
    expect(ps[0].ballots).toBe(3);
    ps = applyPollEvent(ps, { channel: 'talk:7', type: 'poll.closed', data: poll({ status: 'closed', ballots: 3, counts: [1, 2] }) });
    expect(ps[0].status).toBe('closed');
    expect(ps[0].my_ballot?.choices).toEqual([1]);
  });
  it('puts a newly opened poll first and prefers the open one', () => {
    let ps = [poll({ id: 1, status: 'closed' })];
    ps = applyPollEvent(ps, { channel: 'talk:7', type: 'poll.opened', data: poll({ id: 2 }) });
    expect(ps.map((p) => p.id)).toEqual([2, 1]);
    expect(current(ps)?.id).toBe(2);
  });
  it('does not let a public copy hide results staff already see', () => {
    let ps = [poll({ results: 'staff', counts: [4, 1], ballots: 5 })];
    ps = applyPollEvent(ps, { channel: 'talk:7', type: 'poll.closed', data: poll({ results: 'staff', status: 'closed', counts: null, ballots: 5 }) });
    expect(ps[0].counts).toEqual([4, 1]);
  });
  it('draws rating bars as stars and percentages', () => {
    expect(bars(poll({ kind: 'rating', options: [], counts: [0, 0, 1, 0, 3] })).map((b) => b.label)).toEqual(['★', '★★', '★★★', '★★★★', '★★★★★']);
    expect(percent(1, 3)).toBe(33);
    expect(percent(0, 0)).toBe(0);
  });
});

describe('poll templates', () => {
  it('are in the interface language, options included', async () => {
    const en = pollTemplates();
    expect(en[0].poll).toEqual({ question: 'Where are you joining from?', kind: 'single', options: ['Europe', 'Africa', 'Asia', 'Americas', 'Oceania'] });
    await useLocale('de');
    try {
      const de = pollTemplates();
      expect(de[0].poll.question).toBe('Von wo nehmen Sie teil?');
      expect(de[1].poll.options).toEqual(['Ja', 'In Arbeit', 'Nein', 'Weiß nicht']);
      expect(de.map((x) => x.poll.kind)).toEqual(en.map((x) => x.poll.kind));
    } finally {
      await useLocale('en');
    }
  });
});

describe('LivePolls.reload', () => {
  it('lets overlapping reloads settle on the newest answer, with no error', async () => {
    const answers: ((v: { items: Poll[]; next_cursor: string | null }) => void)[] = [];
    const spy = vi.spyOn(api, 'polls').mockImplementation(() => new Promise((resolve) => answers.push(resolve)));
    try {
      const live = new LivePolls(7);
      const first = live.reload();
      const second = live.reload();
      answers[1]({ items: [poll({ id: 2 })], next_cursor: null });
      await second;
      answers[0]({ items: [poll({ id: 1 })], next_cursor: null });
      await first;
      expect(live.error).toBeNull();
      expect(live.polls.map((p) => p.id)).toEqual([2]);
    } finally {
      spy.mockRestore();
    }
  });
});
