import { api, ApiError, type Talk } from './api';
import { refId } from './format';
import { t } from './i18n.svelte';

/**
 * Resolves a talk route parameter. Canonical URLs are "/talks/{id}-{slug}";
 * a bare slug ("/talks/{slug}") is looked up with GET /talks?q=.
 */
export async function resolveTalk(ref: string): Promise<Talk> {
  const id = refId(ref);
  if (id !== null) return api.talk(id);
  const page = await api.talks({ q: ref.replace(/-/g, ' '), limit: 200 });
  const found = page.items.find((x) => x.slug === ref);
  if (!found) throw new ApiError({ status: 404, code: 'not_found', title: t('notFound.pageTitle'), detail: t('talk.none') });
  return api.talk(found.id);
}
