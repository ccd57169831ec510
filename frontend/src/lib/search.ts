// The search's snippets and the recording's moments.

/** A piece of a snippet: text, marked when it matched the search. */
export type SnippetPart = { text: string; mark: boolean };

const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&#34;': '"', '&#39;': "'", '&quot;': '"' };

/**
 * The parts of a snippet of GET /search: HTML whose only elements are
 * <mark>…</mark>, the rest escaped. Read into text and marks, it is shown
 * as text (never as HTML), whatever the server sends.
 */
export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let mark = false;
  for (const piece of snippet.split(/(<\/?mark>)/)) {
    if (piece === '<mark>') mark = true;
    else if (piece === '</mark>') mark = false;
    else if (piece) parts.push({ text: piece.replace(/&(?:amp|lt|gt|quot|#34|#39);/g, (e) => entities[e]), mark });
  }
  return parts;
}

/** "12:34", or "1:02:03" past an hour. */
export function fmtSeconds(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** The privacy embed of a YouTube video, from second start when given. */
export function embedUrl(videoId: string, start?: number | null): string {
  const base = `https://www.youtube-nocookie.com/embed/${encodeURIComponent(videoId)}`;
  return start == null ? base : `${base}?start=${start}&autoplay=1`;
}
