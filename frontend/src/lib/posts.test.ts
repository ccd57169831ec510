import { describe, expect, it } from 'vitest';
import type { Post } from './api';
import { addPage, comparePosts, noPosts, shownPosts, upsertPost } from './posts';

function post(id: number, at: string, p: Partial<Post> = {}): Post {
  return { id, thread_id: 1, parent_id: null, body: `p${id}`, author: { id: 1, display_name: 'u1' }, hidden: false, created_at: at, edited_at: null, ...p };
}
const at = (s: number, frac = '') => `2026-11-27T10:00:${String(s).padStart(2, '0')}${frac}Z`;
const ids = (ps: Post[]) => ps.map((p) => p.id);

describe('comparePosts', () => {
  it('orders by created_at to the microsecond, then id', () => {
    // Same millisecond (Date.parse cannot tell them apart), and a shorter
    // fraction (a plain string comparison gets it wrong).
    const a = post(9, at(1, '.1234'));
    const b = post(3, at(1, '.123456'));
    expect(comparePosts(a, b)).toBeLessThan(0);
    expect(comparePosts(post(2, at(1)), post(1, at(1, '.000001')))).toBeLessThan(0);
    expect(comparePosts(post(1, at(1)), post(2, at(1)))).toBeLessThan(0);
  });
});

describe('post pages', () => {
  const p = [1, 2, 3, 4, 5, 6, 7].map((i) => post(i, at(i)));

  it('pages append in order, without duplicates, and all show at the end', () => {
    let s = addPage(noPosts, { posts: p.slice(0, 3), next_cursor: 'c1' });
    expect(ids(shownPosts(s))).toEqual([1, 2, 3]);
    // A post already here from the live stream comes again with its page.
    s = upsertPost(s, p[3], true);
    s = addPage(s, { posts: p.slice(3, 6), next_cursor: 'c2' });
    expect(ids(shownPosts(s))).toEqual([1, 2, 3, 4, 5, 6]);
    s = addPage(s, { posts: p.slice(6), next_cursor: null });
    expect(ids(shownPosts(s))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('holds a live post past the loaded pages until its page is loaded', () => {
    let s = addPage(noPosts, { posts: p.slice(0, 3), next_cursor: 'c1' });
    const live = post(8, at(8));
    s = upsertPost(s, live, true);
    expect(ids(shownPosts(s))).toEqual([1, 2, 3]);
    s = addPage(s, { posts: p.slice(3, 6), next_cursor: 'c2' });
    expect(ids(shownPosts(s))).toEqual([1, 2, 3, 4, 5, 6]);
    // The last page was read before the live post committed: it still shows, once.
    s = addPage(s, { posts: [p[6]], next_cursor: null });
    expect(ids(shownPosts(s))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    s = upsertPost(s, post(9, at(9)), true);
    expect(ids(shownPosts(s))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('shows at once a live post that sorts inside the loaded pages, and the viewer’s own', () => {
    let s = addPage(noPosts, { posts: [p[0], p[2]], next_cursor: 'c1' });
    s = upsertPost(s, p[1], true); // committed late, sorts before the page's end
    s = upsertPost(s, post(20, at(20)), true, true); // mine
    expect(ids(shownPosts(s))).toEqual([1, 2, 3, 20]);
    s = addPage(s, { posts: [p[3], post(20, at(20))], next_cursor: null });
    expect(ids(shownPosts(s))).toEqual([1, 2, 3, 4, 20]);
  });

  it('takes out a post the viewer may no longer see', () => {
    let s = addPage(noPosts, { posts: p.slice(0, 3), next_cursor: null });
    s = upsertPost(s, { ...p[1], hidden: true }, false);
    expect(ids(shownPosts(s))).toEqual([1, 3]);
    s = upsertPost(s, { ...p[1], body: 'edited' }, true);
    expect(shownPosts(s).map((x) => x.body)).toEqual(['p1', 'edited', 'p3']);
  });

  it('an empty thread shows live posts at once', () => {
    let s = addPage(noPosts, { posts: [], next_cursor: null });
    s = upsertPost(s, p[0], true);
    expect(ids(shownPosts(s))).toEqual([1]);
  });
});
