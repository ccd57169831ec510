import { describe, expect, it } from 'vitest';
import { actionLabel, targetHref, targetLabel } from './modlabels';

describe('moderation labels', () => {
  it('says the log in words', () => {
    expect(actionLabel('dismiss_flag')).toBe('Dismissed a report');
    expect(actionLabel('brand_new_thing')).toBe('Brand new thing');
    expect(targetLabel({ type: 'question', id: 5 })).toBe('Question 5');
  });
  it('links a flagged post to its thread', () => {
    const f = { id: 1, talk_id: 3, target: { type: 'post', id: 9, thread_id: 4, talk_id: 3 } } as never;
    expect(targetHref(f)).toBe('/talks/3/live?tab=discussion&thread=4');
  });
});
