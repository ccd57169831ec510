import { api, ApiError, type Talk } from './api';
import { refId } from './format';

/**
 * Resolves a talk route parameter. Canonical URLs are "/talks/{id}-{slug}";
 * a bare slug ("/talks/{slug}") is looked up with GET /talks?q=.
 */
export async function resolveTalk(ref: string): Promise<Talk> {
  const id = refId(ref);
  if (id !== null) return api.talk(id);
  const page = await api.talks({ q: ref.replace(/-/g, ' '), limit: 200 });
  const t = page.items.find((x) => x.slug === ref);
  if (!t) throw new ApiError({ status: 404, code: 'not_found', title: 'Not Found', detail: 'There is no talk at this address.' });
  return api.talk(t.id);
}
