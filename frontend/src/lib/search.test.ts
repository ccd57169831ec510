import { describe, expect, it } from 'vitest';
import { embedUrl, fmtSeconds, snippetParts } from './search';

describe('snippetParts', () => {
  it('reads marks and unescapes the rest as text', () => {
    expect(snippetParts('a &lt;b&gt; <mark>notified</mark> &amp; <mark>body</mark>&#39;s')).toEqual([
      { text: 'a <b> ', mark: false },
      { text: 'notified', mark: true },
      { text: ' & ', mark: false },
      { text: 'body', mark: true },
      { text: "'s", mark: false },
    ]);
  });
  it('never makes elements of anything else', () => {
    expect(snippetParts('<img src=x onerror=alert(1)>')).toEqual([{ text: '<img src=x onerror=alert(1)>', mark: false }]);
  });
});

describe('moments', () => {
  it('formats seconds', () => {
    expect(fmtSeconds(754)).toBe('12:34');
    expect(fmtSeconds(5)).toBe('0:05');
    expect(fmtSeconds(3723)).toBe('1:02:03');
  });
  it('starts the embed at the second', () => {
    expect(embedUrl('dQw4w9WgXcQ', 754)).toBe('https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=754&autoplay=1');
    expect(embedUrl('dQw4w9WgXcQ')).toBe('https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ');
  });
});
