import { afterEach, describe, expect, it } from 'vitest';
import { SERIES_ZONE, zoneLabel } from './format';
import { fmtNumber, useLocale } from './i18n.svelte';

describe('format', () => {
  afterEach(() => useLocale('en'));
  it("names the series' city in the interface language, other zones by their own", async () => {
    expect(zoneLabel(SERIES_ZONE)).toBe('Brussels');
    expect(zoneLabel('America/New_York')).toBe('New York');
    await useLocale('de');
    expect(zoneLabel(SERIES_ZONE)).toBe('Brüssel');
    await useLocale('fr');
    expect(zoneLabel(SERIES_ZONE)).toBe('Bruxelles');
  });
  it('writes numbers as Portugal does in Portuguese', async () => {
    await useLocale('pt');
    expect(fmtNumber(1000000)).toMatch(/^1\s000\s000$/);
  });
});
