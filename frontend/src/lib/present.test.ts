import { describe, expect, it } from 'vitest';
import { askerName, showNames } from './present';

describe('showNames', () => {
  it('shows names unless told otherwise', () => {
    expect(showNames('', null)).toBe(true);
    expect(showNames('?x=1', '1')).toBe(true);
  });
  it('remembers the last choice on this machine', () => {
    expect(showNames('', '0')).toBe(false);
  });
  it('lets the address win over the stored choice', () => {
    expect(showNames('?names=0', '1')).toBe(false);
    expect(showNames('?names=1', '0')).toBe(true);
    expect(showNames('?names=maybe', '0')).toBe(false);
  });
});

describe('askerName', () => {
  it('names the author unless the question is anonymous', () => {
    expect(askerName({ author: { id: 1, display_name: 'Ana' }, anonymous: false })).toBe('Ana');
    expect(askerName({ author: { id: 1, display_name: 'Ana' }, anonymous: true })).toBe('Anonymous');
    expect(askerName({ author: null, anonymous: true })).toBe('Anonymous');
  });
});
