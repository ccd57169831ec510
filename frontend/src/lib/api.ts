// Typed client for the Hub Talks HTTP API (shared/docs/api.md). The app talks
// to the server only through this module.

import type { components, paths } from './api-types';
import { t } from './i18n.svelte';
import { feedQuery } from './calendar';

// The API's types are generated from server/openapi.json (npm run gen:api),
// which a Go test holds to the server's real answers; nothing here is kept
// by hand. These names are the ones the pages use.
type Schemas = components['schemas'];
export type Role = Schemas['Role'];
export type User = Schemas['User'];
export type AuthResult = Schemas['Auth'];
export type PersonRef = Schemas['Person'];
export type TalkStatus = Schemas['TalkStatus'];
export type QASettings = Schemas['QASettings'];
export type Talk = Schemas['Talk'];
export type Speaker = Schemas['Speaker'];
export type SpeakerProfile = Schemas['SpeakerProfile'];
/** The writable fields of a talk: PATCH takes any subset. */
export type TalkInput = Schemas['TalkWrite'];
/** POST /talks: the writable fields, title and times required. */
export type NewTalk = Body<'/api/v1/talks', 'post'>;
export type TalkFormat = Schemas['TalkFormat'];
export type Registration = Schemas['Registration'];
/** A registration of GET /me/registrations, with its talk. */
export type MyRegistration = Schemas['MyRegistration'];
/** A registration as staff of the talk see it. */
export type Registrant = Schemas['Registrant'];
export type QuestionStatus = Schemas['QuestionStatus'];
export type Answer = Schemas['Answer'];
export type Question = Schemas['Question'];
export type Vote = Schemas['Vote'];
export type Thread = Schemas['Thread'];
/** GET /threads/{id}: the thread's fields (on every page) and one page of its posts, oldest first. */
export type ThreadPage = Schemas['ThreadWithPosts'];
export type Post = Schemas['Post'];
export type Flag = Schemas['Flag'];
export type LogEntry = Schemas['ModerationLogEntry'];
export type PlaylistItem = Schemas['PlaylistItem'];
export type Playlist = Schemas['Playlist'];
/** GET /recordings: every recorded talk, newest first, grouped by playlist. */
export type Recordings = Schemas['Recordings'];
export type RecordedTalk = Schemas['RecordedTalk'];
/** GET /recordings/matches: videos whose title names several talks. */
export type RecordingMatches = Schemas['RecordingMatches'];
export type Poll = Schemas['Poll'];
export type PollResults = Schemas['PollResults'];
export type Ballot = Schemas['Ballot'];
export type NewPoll = Body<'/api/v1/talks/{id}/polls', 'post'>;
export type FieldError = Schemas['FieldError'];
export type Problem = Schemas['Problem'];
export type SearchResult = Schemas['SearchResult'];
export type SearchKind = SearchResult['type'];

type Path = keyof paths;
type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';
/** The methods openapi.json documents for path P. */
type MethodOf<P extends Path> = {
  [M in Method]-?: [NonNullable<paths[P][M]>] extends [never] ? never : M;
}[Method];
type Operation<P extends Path, M extends MethodOf<P>> = NonNullable<paths[P][M]>;
type JSONOf<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type OrVoid<T> = [T] extends [never] ? void : T;
/** The JSON body of an operation's 200/201 answer (void for 204). */
export type Ok<P extends Path, M extends MethodOf<P>> = Operation<P, M> extends { responses: infer R }
  ? OrVoid<JSONOf<R[Extract<keyof R, 200 | 201>]>>
  : never;
/** The JSON request body of an operation. */
export type Body<P extends Path, M extends MethodOf<P>> = Operation<P, M> extends { requestBody?: infer B }
  ? JSONOf<NonNullable<B>>
  : never;
/** The query parameters of an operation. */
export type Query<P extends Path, M extends MethodOf<P>> = Operation<P, M> extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;
type PathParams<P extends Path, M extends MethodOf<P>> = Operation<P, M> extends {
  parameters: { path: infer V };
}
  ? V
  : never;

/** An RFC 9457 problem, or a stand-in for a failure that was not one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly retryAfter: number | null;

  constructor(p: {
    status: number;
    code?: string;
    title?: string;
    detail?: string;
    errors?: FieldError[];
    retryAfter?: number | null;
  }) {
    const detail = p.detail || p.title || t('error.status', { status: p.status });
    super(detail);
    this.status = p.status;
    this.code = p.code ?? '';
    this.title = p.title ?? '';
    this.detail = detail;
    this.errors = p.errors ?? [];
    this.retryAfter = p.retryAfter ?? null;
  }

  /** The message for one form field, if the server named it. */
  field(name: string): string | undefined {
    return this.errors.find((e) => e.field === name)?.message;
  }
}

/** "the email is wrong" → "The email is wrong." */
export function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?…]$/.test(t) ? '' : '.');
}

/**
 * A field's name for people: "qa.allow_anonymous" → "Anonymous questions"
 * in the interface language; a field the catalog does not name reads as
 * its last part in words ("Video id").
 */
function fieldWords(field: string): string {
  const last = (field.split('.').pop() ?? field).replace(/\[\d+\]/g, '');
  const words = sentence(last.replace(/_/g, ' ')).replace(/\.$/, '');
  return t('error.fieldName', { field: last, words });
}

/**
 * Turns anything thrown into a message fit for a person: the problem's
 * detail as a sentence, each field named in words; never an HTTP status.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.errors.length)
      return err.errors.map((e) => sentence(t('error.field', { field: fieldWords(e.field), message: e.message.replace(/[.]$/, '') }))).join(' ');
    if (err.status === 404 && /^not found\.?$/i.test(err.detail.trim())) return t('error.notFound');
    return sentence(err.detail);
  }
  if (err instanceof Error) return sentence(err.message);
  return t('error.generic');
}

export const BASE = '/api/v1';

// The CSRF token the server may hand out on GET /me; kept in memory only.
let csrfToken: string | null = null;

export function setCsrfToken(t: string | null): void {
  csrfToken = t;
}

interface RequestOptions {
  body?: unknown;
  rawBody?: BodyInit;
  contentType?: string;
  accept?: string;
  idempotencyKey?: string;
}

function newKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

async function send(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  let body: BodyInit | undefined;
  if (opts.rawBody !== undefined) {
    body = opts.rawBody;
    headers['Content-Type'] = opts.contentType ?? 'application/octet-stream';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD') {
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
    if (method === 'POST') headers['Idempotency-Key'] = opts.idempotencyKey ?? newKey();
  }
  let res: Response;
  try {
    res = await fetch(BASE + path, { method, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError({
      status: 0,
      code: 'network',
      title: t('error.networkTitle'),
      detail: t('error.network'),
    });
  }
  if (!res.ok) throw await toError(res);
  return res;
}

async function toError(res: Response): Promise<ApiError> {
  const retry = res.headers.get('Retry-After');
  const retryAfter = retry && /^\d+$/.test(retry) ? Number(retry) : null;
  const ct = res.headers.get('Content-Type') ?? '';
  if (ct.includes('json')) {
    try {
      const p = (await res.json()) as Partial<Problem>;
      return new ApiError({
        status: p.status ?? res.status,
        code: p.code,
        title: p.title,
        detail: p.detail,
        errors: Array.isArray(p.errors) ? p.errors : [],
        retryAfter,
      });
    } catch {
      /* fall through */
    }
  }
  const fallback: Record<number, string> = {
    401: t('error.unauthorized'),
    403: t('error.forbidden'),
    404: t('error.notFound'),
    429: t('error.tooMany'),
  };
  return new ApiError({
    status: res.status,
    title: res.statusText,
    detail: fallback[res.status] ?? t('error.status', { status: `${res.status} ${res.statusText}`.trim() }),
    retryAfter,
  });
}

async function json<T>(method: string, path: string, opts?: RequestOptions): Promise<T> {
  const res = await send(method, path, opts);
  if (res.status === 204) return undefined as T;
  const ct = res.headers.get('Content-Type') ?? '';
  // 202 Accepted says only that the work is queued; its body, if any, is not the answer.
  if (res.status === 202 && !ct.includes('json')) return undefined as T;
  if (!ct.includes('json')) {
    throw new ApiError({
      status: res.status,
      code: 'bad_response',
      title: t('error.badResponseTitle'),
      detail: t('error.badResponse'),
    });
  }
  return (await res.json()) as T;
}

function qs(params: object): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params) as [string, unknown][]) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Fetches a file and hands it to the browser as a download. */
export async function download(path: string, accept: string, filename: string): Promise<void> {
  const res = await send('GET', path, { accept });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

interface CallOptions<P extends Path, M extends MethodOf<P>> {
  query?: Query<P, M>;
  body?: Body<P, M>;
  rawBody?: BodyInit;
  contentType?: string;
}
/** The options of call: `params` is required exactly when the path has some. */
type CallArgs<P extends Path, M extends MethodOf<P>> = [PathParams<P, M>] extends [never]
  ? [o?: CallOptions<P, M>]
  : [o: CallOptions<P, M> & { params: PathParams<P, M> }];

/**
 * Calls the operation `method path` of openapi.json (path as documented,
 * e.g. '/api/v1/talks/{id}', filled from params): its body, query and
 * answer have the documented types.
 */
export function call<P extends Path, M extends MethodOf<P>>(method: M, path: P, ...args: CallArgs<P, M>): Promise<Ok<P, M>> {
  const o: CallOptions<P, M> & { params?: Record<string, string | number> } = args[0] ?? {};
  const url = path.slice(BASE.length).replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(String(o.params?.[k])));
  return json<Ok<P, M>>(method.toUpperCase(), url + qs(o.query ?? {}), {
    body: o.body,
    rawBody: o.rawBody,
    contentType: o.contentType,
  });
}

export const api = {
  // Accounts
  signup: (body: Body<'/api/v1/auth/signup', 'post'>) => call('post', '/api/v1/auth/signup', { body }),
  login: (body: Body<'/api/v1/auth/login', 'post'>) => call('post', '/api/v1/auth/login', { body }),
  logout: () => call('post', '/api/v1/auth/logout'),
  joinAsGuest: (body: Body<'/api/v1/auth/guest', 'post'>) => call('post', '/api/v1/auth/guest', { body }),
  upgrade: (body: Body<'/api/v1/me/upgrade', 'post'>) => call('post', '/api/v1/me/upgrade', { body }),
  /** The signed-in user, or null. Remembers the CSRF token the server hands out. */
  async me(): Promise<User | null> {
    try {
      const res = await send('GET', '/me');
      const t = res.headers.get('X-CSRF-Token');
      if (t) setCsrfToken(t);
      return (await res.json()) as Ok<'/api/v1/me', 'get'>;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null;
      throw e;
    }
  },
  myRegistrations: () => call('get', '/api/v1/me/registrations'),
  exportMe: () => download('/me/export', 'application/json', 'hubtalks-my-data.json'),
  deleteMe: () => call('delete', '/api/v1/me'),
  users: (q: string) => call('get', '/api/v1/users', { query: { q, limit: 50 } }),
  setRole: (id: number, role: Body<'/api/v1/users/{id}', 'patch'>['role']) => call('patch', '/api/v1/users/{id}', { params: { id }, body: { role } }),
  verifyEmail: (token: string) => call('post', '/api/v1/auth/verify', { body: { token } }),
  resendVerification: () => call('post', '/api/v1/auth/verify/resend'),
  requestPasswordReset: (email: string) => call('post', '/api/v1/auth/password-reset', { body: { email } }),
  confirmPasswordReset: (token: string, password: string) =>
    call('post', '/api/v1/auth/password-reset/confirm', { body: { token, password } }),
  changePassword: (body: Body<'/api/v1/me/password', 'post'>) => call('post', '/api/v1/me/password', { body }),
  updateMe: (body: Body<'/api/v1/me', 'patch'>) => call('patch', '/api/v1/me', { body }),
  /** A JPEG or PNG file, sent as it is; the server re-encodes it. */
  setPhoto: (file: Blob) => call('put', '/api/v1/me/photo', { rawBody: file, contentType: file.type }),
  removePhoto: () => call('delete', '/api/v1/me/photo'),
  speaker: (id: number) => call('get', '/api/v1/users/{id}', { params: { id } }),
  // Calendar files and feeds in the interface language (?lang=).
  speakerIcsUrl: (id: number) => `${BASE}/speakers/${id}/talks.ics${feedQuery()}`,
  /** PATCH /me {locale}: the account's language (null = follow the browser). */
  setMyLocale: (locale: string | null) =>
    call('patch', '/api/v1/me', { body: { locale } as unknown as Body<'/api/v1/me', 'patch'> }),

  // Talks
  talks: (query: Query<'/api/v1/talks', 'get'>) => call('get', '/api/v1/talks', { query }),
  talk: (id: number) => call('get', '/api/v1/talks/{id}', { params: { id } }),
  createTalk: (body: Body<'/api/v1/talks', 'post'>) => call('post', '/api/v1/talks', { body }),
  updateTalk: (id: number, body: TalkInput) => call('patch', '/api/v1/talks/{id}', { params: { id }, body }),
  cancelTalk: (id: number) => call('post', '/api/v1/talks/{id}/cancel', { params: { id } }),
  setTalkStatus: (id: number, status: Body<'/api/v1/talks/{id}/status', 'post'>['status']) =>
    call('post', '/api/v1/talks/{id}/status', { params: { id }, body: { status } }),
  icsUrl: (id: number) => `${BASE}/talks/${id}.ics${feedQuery()}`,
  feedUrl: () => `${BASE}/talks.ics${feedQuery()}`,

  // Registrations
  register: (id: number) => call('post', '/api/v1/talks/{id}/registrations', { params: { id } }),
  cancelRegistration: (id: number) => call('delete', '/api/v1/talks/{id}/registrations/me', { params: { id } }),
  registrantsCsv: (id: number, slug: string) =>
    download(`/talks/${id}/registrations`, 'text/csv', `registrants-${slug || id}.csv`),
  registrants: (id: number) => call('get', '/api/v1/talks/{id}/registrations', { params: { id } }),

  // Playlists
  playlists: () => call('get', '/api/v1/playlists'),
  playlist: (id: number) => call('get', '/api/v1/playlists/{id}', { params: { id } }),
  createPlaylist: (body: Body<'/api/v1/playlists', 'post'>) => call('post', '/api/v1/playlists', { body }),
  deletePlaylist: (id: number) => call('delete', '/api/v1/playlists/{id}', { params: { id } }),
  updateItem: (pid: number, itemId: number, body: Body<'/api/v1/playlists/{id}/items/{item_id}', 'patch'>) =>
    call('patch', '/api/v1/playlists/{id}/items/{item_id}', { params: { id: pid, item_id: itemId }, body }),
  syncPlaylist: (id: number) => call('post', '/api/v1/playlists/{id}/sync', { params: { id } }),
  recordings: () => call('get', '/api/v1/recordings'),
  recordingMatches: () => call('get', '/api/v1/recordings/matches'),
  importFeed: (pid: number, atom: string) =>
    call('post', '/api/v1/playlists/{id}/import', {
      params: { id: pid },
      rawBody: atom,
      contentType: 'application/atom+xml',
    }),

  // Search
  search: (q: string, p: { type?: SearchKind; cursor?: string; limit?: number } = {}) =>
    call('get', '/api/v1/search', { query: { q, ...p } }),

  // Q&A
  questions: (talkId: number, p: { sort?: 'top' | 'recent'; status?: string } = {}) =>
    call('get', '/api/v1/talks/{id}/questions', { params: { id: talkId }, query: { ...p, limit: 200 } }),
  ask: (talkId: number, body: string, anonymous: boolean) =>
    call('post', '/api/v1/talks/{id}/questions', { params: { id: talkId }, body: { body, anonymous } }),
  vote: (qid: number) => call('put', '/api/v1/questions/{id}/vote', { params: { id: qid } }),
  unvote: (qid: number) => call('delete', '/api/v1/questions/{id}/vote', { params: { id: qid } }),
  moderateQuestion: (qid: number, body: Body<'/api/v1/questions/{id}', 'patch'>) =>
    call('patch', '/api/v1/questions/{id}', { params: { id: qid }, body }),
  withdrawQuestion: (qid: number) => call('delete', '/api/v1/questions/{id}', { params: { id: qid } }),
  answer: (qid: number, body: string) =>
    call('post', '/api/v1/questions/{id}/answers', { params: { id: qid }, body: { body } }),
  flagQuestion: (qid: number, reason: string) =>
    call('post', '/api/v1/questions/{id}/flags', { params: { id: qid }, body: { reason } }),

  // Threads
  threads: (talkId: number) => call('get', '/api/v1/talks/{id}/threads', { params: { id: talkId }, query: { limit: 200 } }),
  createThread: (talkId: number, body: Body<'/api/v1/talks/{id}/threads', 'post'>) =>
    call('post', '/api/v1/talks/{id}/threads', { params: { id: talkId }, body }),
  thread: (id: number, cursor?: string | null) =>
    call('get', '/api/v1/threads/{id}', { params: { id }, query: { cursor: cursor ?? undefined } }),
  post: (threadId: number, body: string, parentId: number | null) =>
    call('post', '/api/v1/threads/{id}/posts', {
      params: { id: threadId },
      body: parentId ? { body, parent_id: parentId } : { body },
    }),
  updateThread: (id: number, body: Body<'/api/v1/threads/{id}', 'patch'>) =>
    call('patch', '/api/v1/threads/{id}', { params: { id }, body }),
  updatePost: (id: number, body: Body<'/api/v1/posts/{id}', 'patch'>) =>
    call('patch', '/api/v1/posts/{id}', { params: { id }, body }),
  flagPost: (id: number, reason: string) => call('post', '/api/v1/posts/{id}/flags', { params: { id }, body: { reason } }),

  // Polls and reactions
  polls: (talkId: number) => call('get', '/api/v1/talks/{id}/polls', { params: { id: talkId }, query: { limit: 200 } }),
  createPoll: (talkId: number, body: NewPoll) => call('post', '/api/v1/talks/{id}/polls', { params: { id: talkId }, body }),
  changePoll: (id: number, body: Body<'/api/v1/polls/{id}', 'patch'>) => call('patch', '/api/v1/polls/{id}', { params: { id }, body }),
  castBallot: (id: number, body: Body<'/api/v1/polls/{id}/ballot', 'put'>) =>
    call('put', '/api/v1/polls/{id}/ballot', { params: { id }, body }),
  pollCsv: (id: number) => download(`/polls/${id}/results.csv`, 'text/csv', `poll-${id}-results.csv`),
  react: (talkId: number, emoji: Body<'/api/v1/talks/{id}/reactions', 'post'>['emoji']) =>
    call('post', '/api/v1/talks/{id}/reactions', { params: { id: talkId }, body: { emoji } }),

  // Moderation
  flags: () => call('get', '/api/v1/moderation/flags', { query: { limit: 200 } }),
  updateFlag: (id: number, status: Body<'/api/v1/moderation/flags/{id}', 'patch'>['status']) =>
    call('patch', '/api/v1/moderation/flags/{id}', { params: { id }, body: { status } }),
  moderationLog: (talkId: number) =>
    call('get', '/api/v1/talks/{id}/moderation-log', { params: { id: talkId }, query: { limit: 200 } }),
};

/** Whether the user is staff of the talk: its speakers, moderators and admins. */
export function isStaff(user: User | null, talk: Talk | null): boolean {
  if (!user || !talk) return false;
  if (user.role === 'moderator' || user.role === 'admin') return true;
  return talk.speakers.some((s) => s.id === user.id);
}

export function isModerator(user: User | null): boolean {
  return !!user && (user.role === 'moderator' || user.role === 'admin');
}
