// The posts of an open discussion thread: GET /threads/{id} pages them oldest
// first (by created_at, then id) and the live stream adds and changes them.
//
// Which posts show while pages remain to be loaded: the loaded pages cover
// every post up to the last one of the last page (`upTo`); a page that comes
// later starts right after it. A live post that sorts after `upTo` belongs
// to a page not loaded yet, so it is kept but not shown until "Load more
// posts" reaches it (showing it at once would show it after a gap, and the
// next page would bring it again). A live post that sorts before `upTo` (it
// committed after its page was read) is shown at once: no page would bring
// it. Once the last page is loaded every post shows, live ones as they come.
// Every post is kept once, by id, so nothing shows twice. The viewer's own
// new posts always show: they asked for them.

import type { Post } from './api';

export interface PostPages {
  /** Every post known (pages, live stream, own), sorted, each once. */
  all: Post[];
  /** The last post of the last loaded page; null before any post. */
  upTo: Post | null;
  /** The next page's cursor; null once the last page is loaded. */
  cursor: string | null;
  /** Ids of this viewer's own new posts, shown wherever they sort. */
  own: number[];
}

/**
 * created_at as a string that sorts as the server sorts: the API writes UTC
 * times with up to nine fraction digits and trailing zeros dropped, so the
 * fraction is padded (Date.parse would lose the microseconds).
 */
function timeKey(at: string): string {
  const m = /^(.+?)(?:\.(\d+))?Z$/.exec(at) ?? /^(.+?)(?:\.(\d+))?Z$/.exec(new Date(at).toISOString());
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}` : at;
}

/** The API's order of posts: created_at, then id. */
export function comparePosts(a: Post, b: Post): number {
  const x = timeKey(a.created_at);
  const y = timeKey(b.created_at);
  return x < y ? -1 : x > y ? 1 : a.id - b.id;
}

function merge(all: Post[], add: Post[]): Post[] {
  const byId = new Map(all.map((p) => [p.id, p]));
  for (const p of add) byId.set(p.id, p);
  return [...byId.values()].sort(comparePosts);
}

/** Adds a page of GET /threads/{id} (the first one to an empty state). */
export function addPage(s: PostPages, page: { posts: Post[]; next_cursor: string | null }): PostPages {
  const last = page.posts.length ? page.posts[page.posts.length - 1] : null;
  const upTo = last && (!s.upTo || comparePosts(last, s.upTo) > 0) ? last : s.upTo;
  return { ...s, all: merge(s.all, page.posts), upTo, cursor: page.next_cursor };
}

export const noPosts: PostPages = { all: [], upTo: null, cursor: null, own: [] };

/**
 * Puts a new or changed post in, or takes it out when the viewer may not
 * see it (keep false: hidden, for someone who is not a moderator).
 */
export function upsertPost(s: PostPages, p: Post, keep: boolean, own = false): PostPages {
  const all = s.all.filter((x) => x.id !== p.id);
  return {
    ...s,
    all: keep ? merge(all, [p]) : all,
    own: own && keep && !s.own.includes(p.id) ? [...s.own, p.id] : s.own,
  };
}

/** The posts to show now (see the top of this file). */
export function shownPosts(s: PostPages): Post[] {
  if (s.cursor === null) return s.all;
  const upTo = s.upTo;
  return s.all.filter((p) => (upTo !== null && comparePosts(p, upTo) <= 0) || s.own.includes(p.id));
}
