import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { components } from './api-types';
import { api, ApiError, call, errorMessage } from './api';
import { useLocale } from './i18n.svelte';

type Schemas = components['schemas'];

function answer(status: number, body: unknown, type = 'application/json') {
  const fetch = vi.fn(
    async (_url: string, _init?: RequestInit) =>
      new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': type } }),
  );
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('call', () => {
  it('fills the documented path and the query', async () => {
    const fetch = answer(200, { items: [], next_cursor: null });
    await api.thread(7, 'a b');
    await api.talks({ q: 'health', limit: 5, tag: undefined });
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['/api/v1/threads/7?cursor=a+b', '/api/v1/talks?q=health&limit=5']);
  });

  it('sends the JSON body with the method of the operation', async () => {
    const fetch = answer(200, {});
    await api.updateFlag(3, 'resolved');
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/v1/moderation/flags/3');
    expect(init?.method).toBe('PATCH');
    expect(init?.body).toBe('{"status":"resolved"}');
  });

  it('answers undefined for a 202 without a JSON body', async () => {
    answer(202, 'Accepted', 'text/plain; charset=utf-8');
    expect(await api.resendVerification()).toBeUndefined();
  });

  it('keeps Retry-After of a 429 for the page to show', async () => {
    vi.stubGlobal('fetch', vi.fn(async () =>
      new Response(JSON.stringify({ type: 'about:blank', title: 'Too Many Requests', status: 429, code: 'rate_limited', detail: 'slow down' }),
        { status: 429, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '42' } })));
    await expect(api.resendVerification()).rejects.toMatchObject({ status: 429, retryAfter: 42 } satisfies Partial<ApiError>);
  });

  it('answers undefined for 204 and throws the problem otherwise', async () => {
    answer(204, undefined);
    expect(await api.cancelRegistration(1)).toBeUndefined();
    answer(409, { type: 'about:blank', title: 'Conflict', status: 409, code: 'registration_closed', detail: 'closed' }, 'application/problem+json');
    await expect(api.register(1)).rejects.toMatchObject({ status: 409, code: 'registration_closed', detail: 'closed' } satisfies Partial<ApiError>);
  });
});

describe('types from openapi.json', () => {
  it('gives each call the documented answer', () => {
    expectTypeOf(api.registrants).returns.resolves.toEqualTypeOf<Schemas['RegistrantList']>();
    expectTypeOf(api.myRegistrations).returns.resolves.toEqualTypeOf<Schemas['MyRegistrationList']>();
    expectTypeOf(api.register).returns.resolves.toEqualTypeOf<Schemas['Registration']>();
    expectTypeOf(api.thread).returns.resolves.toEqualTypeOf<Schemas['ThreadWithPosts']>();
    expectTypeOf(api.logout).returns.resolves.toEqualTypeOf<void>();
    expectTypeOf(api.updateMe).returns.resolves.toEqualTypeOf<Schemas['User']>();
    expectTypeOf(api.verifyEmail).returns.resolves.toEqualTypeOf<void>();
    expectTypeOf(api.resendVerification).returns.resolves.toEqualTypeOf<void>();
    expectTypeOf<Schemas['User']['email_verified']>().toEqualTypeOf<boolean>();
  });

  it('refuses what openapi.json does not document', () => {
    const never = () => {
      // @ts-expect-error no such path
      void call('get', '/api/v1/nowhere');
      // @ts-expect-error no PUT on this path
      void call('put', '/api/v1/talks');
      // @ts-expect-error the path has {id}
      void call('get', '/api/v1/talks/{id}');
      // @ts-expect-error status must be live or ended
      void call('post', '/api/v1/talks/{id}/status', { params: { id: 1 }, body: { status: 'draft' } });
      // @ts-expect-error unknown query parameter
      void call('get', '/api/v1/talks', { query: { sort: 'top' } });
    };
    expect(never).toBeTypeOf('function');
  });
});

describe('errorMessage', () => {
  afterEach(() => useLocale('en'));
  const refused = () =>
    new ApiError({
      status: 422,
      detail: 'qa.allow_anonymous: must be true or false',
      errors: [
        { field: 'qa.allow_anonymous', message: 'must be true or false' },
        { field: 'video_id', message: 'is not a video' },
      ],
    });
  it('names each field in words, in the interface language', async () => {
    expect(errorMessage(refused())).toBe('Anonymous questions must be true or false. Video id is not a video.');
    await useLocale('de');
    expect(errorMessage(refused())).toMatch(/^Anonyme Fragen: must be true or false\. Video id: is not a video\.$/);
  });
});
