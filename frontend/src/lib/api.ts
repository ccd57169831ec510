// Typed client for the Hub Talks HTTP API (shared/docs/api.md). The app talks
// to the server only through this module.

export type Role = 'participant' | 'moderator' | 'admin';

export interface User {
  id: number;
  email?: string;
  display_name: string;
  role: Role;
  created_at: string;
}

export interface PersonRef {
  id: number;
  display_name: string;
}

export type TalkStatus = 'draft' | 'scheduled' | 'live' | 'ended' | 'cancelled';

export interface QASettings {
  moderation: 'pre' | 'post';
  allow_anonymous: boolean;
  open: boolean;
}

export interface Talk {
  id: number;
  slug: string;
  title: string;
  abstract: string;
  starts_at: string;
  ends_at: string;
  status: TalkStatus;
  tags: string[];
  language: string;
  format: string;
  location: string;
  stream_url?: string | null;
  capacity: number | null;
  registered_count: number;
  waitlist_count: number;
  registration_closes_at: string | null;
  speakers: PersonRef[];
  qa: QASettings;
  recording: { video_id: string; url: string } | null;
  created_at: string;
  updated_at: string;
}

/** The writable fields of a talk (POST takes them, PATCH any subset). */
export interface TalkInput {
  title: string;
  abstract: string;
  starts_at: string;
  ends_at: string;
  status: 'draft' | 'scheduled';
  tags: string[];
  language: string;
  format: string;
  location: string;
  stream_url: string;
  capacity: number | null;
  registration_closes_at: string | null;
  speakers: { id: number }[];
  qa: QASettings;
}

export interface Registration {
  talk_id: number;
  user_id: number;
  status: 'confirmed' | 'waitlisted';
  waitlist_position: number | null;
  created_at: string;
  /** GET /me/registrations returns "registrations with their talks". */
  talk?: Talk;
}

export type QuestionStatus = 'pending' | 'approved' | 'answered' | 'dismissed';

export interface Answer {
  id: number;
  question_id: number;
  body: string;
  author: PersonRef;
  created_at: string;
}

export interface Question {
  id: number;
  talk_id: number;
  body: string;
  author: PersonRef | null;
  anonymous: boolean;
  status: QuestionStatus;
  pinned: boolean;
  votes: number;
  voted: boolean;
  answers: Answer[];
  created_at: string;
  updated_at: string;
}

export interface Thread {
  id: number;
  talk_id: number;
  title: string;
  body: string;
  author: PersonRef | null;
  pinned: boolean;
  locked: boolean;
  hidden: boolean;
  post_count: number;
  last_activity_at: string;
  created_at: string;
  posts?: Post[];
}

/** GET /threads/{id}: the thread's fields (on every page) and one page of its posts, oldest first. */
export interface ThreadPage extends Thread {
  posts: Post[];
  /** The cursor of the next page of posts; null on the last page. */
  next_cursor: string | null;
}

export interface Post {
  id: number;
  thread_id: number;
  parent_id: number | null;
  body: string;
  author: PersonRef | null;
  hidden: boolean;
  created_at: string;
  edited_at: string | null;
}

export interface Flag {
  id: number;
  target: { type: 'question' | 'post'; id: number };
  reason: string;
  status: 'open' | 'resolved' | 'dismissed';
  reporter: PersonRef;
  created_at: string;
}

export interface LogEntry {
  id: number;
  talk_id: number;
  actor: PersonRef;
  action: string;
  target: { type: string; id: number };
  reason: string | null;
  created_at: string;
}

export interface PlaylistItem {
  id: number;
  position: number;
  video_id: string;
  title: string;
  description: string;
  published_at: string | null;
  thumbnail_url: string | null;
  talk_id: number | null;
}

export interface Playlist {
  id: number;
  title: string;
  description: string;
  youtube_playlist_id: string | null;
  items?: PlaylistItem[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface FieldError {
  field: string;
  message: string;
}

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
    const detail = p.detail || p.title || `Request failed (${p.status}).`;
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

/** Turns anything thrown into a message fit for a person. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}

export const BASE = '/api/v1';

// The CSRF token the server may hand out on GET /me; kept in memory only.
let csrfToken: string | null = null;

export function setCsrfToken(t: string | null): void {
  csrfToken = t;
}

type Body = unknown;

interface RequestOptions {
  body?: Body;
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
      title: 'Network error',
      detail: 'Could not reach the server. Check your connection and try again.',
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
      const p = (await res.json()) as Partial<{
        title: string;
        status: number;
        code: string;
        detail: string;
        errors: FieldError[];
      }>;
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
    401: 'Please log in first.',
    403: 'You are not allowed to do that.',
    404: 'Not found.',
    429: 'Too many requests. Please wait a moment and try again.',
  };
  return new ApiError({
    status: res.status,
    title: res.statusText,
    detail: fallback[res.status] ?? `The server answered ${res.status} ${res.statusText}.`.trim(),
    retryAfter,
  });
}

async function json<T>(method: string, path: string, opts?: RequestOptions): Promise<T> {
  const res = await send(method, path, opts);
  if (res.status === 204) return undefined as T;
  const ct = res.headers.get('Content-Type') ?? '';
  if (!ct.includes('json')) {
    throw new ApiError({
      status: res.status,
      code: 'bad_response',
      title: 'Unexpected response',
      detail: 'The server sent an unexpected response. Is the Hub Talks server running?',
    });
  }
  return (await res.json()) as T;
}

function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Fetches a file and hands it to the browser as a download. */
async function download(path: string, accept: string, filename: string): Promise<void> {
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

export interface AuthResult {
  user: User;
  token: string;
}

export const api = {
  // Accounts
  signup: (b: { email: string; password: string; display_name: string }) =>
    json<AuthResult>('POST', '/auth/signup', { body: b }),
  login: (b: { email: string; password: string }) => json<AuthResult>('POST', '/auth/login', { body: b }),
  logout: () => json<void>('POST', '/auth/logout'),
  /** The signed-in user, or null. Remembers the CSRF token the server hands out. */
  async me(): Promise<User | null> {
    try {
      const res = await send('GET', '/me');
      const t = res.headers.get('X-CSRF-Token');
      if (t) setCsrfToken(t);
      return (await res.json()) as User;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null;
      throw e;
    }
  },
  myRegistrations: () => json<Page<Registration>>('GET', '/me/registrations?limit=200'),
  exportMe: () => download('/me/export', 'application/json', 'hubtalks-my-data.json'),
  deleteMe: () => json<void>('DELETE', '/me'),
  users: (q: string) => json<Page<User>>('GET', `/users${qs({ q, limit: 20 })}`),

  // Talks
  talks: (p: { from?: string; to?: string; status?: string; tag?: string; q?: string; limit?: number; cursor?: string }) =>
    json<Page<Talk>>('GET', `/talks${qs(p)}`),
  talk: (id: number) => json<Talk>('GET', `/talks/${id}`),
  createTalk: (b: TalkInput) => json<Talk>('POST', '/talks', { body: b }),
  updateTalk: (id: number, b: Partial<TalkInput>) => json<Talk>('PATCH', `/talks/${id}`, { body: b }),
  cancelTalk: (id: number) => json<Talk>('POST', `/talks/${id}/cancel`),
  setTalkStatus: (id: number, status: 'live' | 'ended') => json<Talk>('POST', `/talks/${id}/status`, { body: { status } }),
  icsUrl: (id: number) => `${BASE}/talks/${id}.ics`,
  feedUrl: () => `${BASE}/talks.ics`,

  // Registrations
  register: (id: number) => json<Registration>('POST', `/talks/${id}/registrations`),
  cancelRegistration: (id: number) => json<void>('DELETE', `/talks/${id}/registrations/me`),
  registrantsCsv: (id: number, slug: string) =>
    download(`/talks/${id}/registrations`, 'text/csv', `registrants-${slug || id}.csv`),
  registrants: (id: number) => json<Page<Registration & { user?: User }>>('GET', `/talks/${id}/registrations?limit=200`),

  // Playlists
  playlists: () => json<Page<Playlist>>('GET', '/playlists'),
  playlist: (id: number) => json<Playlist>('GET', `/playlists/${id}`),
  createPlaylist: (b: { title: string; description: string; youtube_playlist_id?: string }) =>
    json<Playlist>('POST', '/playlists', { body: b }),
  deletePlaylist: (id: number) => json<void>('DELETE', `/playlists/${id}`),
  updateItem: (pid: number, itemId: number, b: { talk_id?: number | null; title?: string; position?: number }) =>
    json<PlaylistItem>('PATCH', `/playlists/${pid}/items/${itemId}`, { body: b }),
  importFeed: (pid: number, atom: string) =>
    json<Playlist>('POST', `/playlists/${pid}/import`, { rawBody: atom, contentType: 'application/atom+xml' }),

  // Q&A
  questions: (talkId: number, p: { sort?: 'top' | 'recent'; status?: string } = {}) =>
    json<Page<Question>>('GET', `/talks/${talkId}/questions${qs({ ...p, limit: 200 })}`),
  ask: (talkId: number, body: string, anonymous: boolean) =>
    json<Question>('POST', `/talks/${talkId}/questions`, { body: { body, anonymous } }),
  vote: (qid: number) => json<{ id: number; votes: number; voted: boolean }>('PUT', `/questions/${qid}/vote`),
  unvote: (qid: number) => json<{ id: number; votes: number; voted: boolean }>('DELETE', `/questions/${qid}/vote`),
  moderateQuestion: (qid: number, b: { status?: QuestionStatus; pinned?: boolean }) =>
    json<Question>('PATCH', `/questions/${qid}`, { body: b }),
  answer: (qid: number, body: string) => json<Answer>('POST', `/questions/${qid}/answers`, { body: { body } }),
  flagQuestion: (qid: number, reason: string) => json<Flag>('POST', `/questions/${qid}/flags`, { body: { reason } }),

  // Threads
  threads: (talkId: number) => json<Page<Thread>>('GET', `/talks/${talkId}/threads?limit=200`),
  createThread: (talkId: number, b: { title: string; body: string }) =>
    json<Thread>('POST', `/talks/${talkId}/threads`, { body: b }),
  thread: (id: number, cursor?: string | null) => json<ThreadPage>('GET', `/threads/${id}${qs({ cursor })}`),
  post: (threadId: number, body: string, parentId: number | null) =>
    json<Post>('POST', `/threads/${threadId}/posts`, {
      body: parentId ? { body, parent_id: parentId } : { body },
    }),
  updateThread: (id: number, b: { pinned?: boolean; locked?: boolean; hidden?: boolean; title?: string }) =>
    json<Thread>('PATCH', `/threads/${id}`, { body: b }),
  updatePost: (id: number, b: { body?: string; hidden?: boolean }) => json<Post>('PATCH', `/posts/${id}`, { body: b }),
  flagPost: (id: number, reason: string) => json<Flag>('POST', `/posts/${id}/flags`, { body: { reason } }),

  // Moderation
  flags: () => json<Page<Flag>>('GET', '/moderation/flags?limit=200'),
  updateFlag: (id: number, status: 'resolved' | 'dismissed') =>
    json<Flag>('PATCH', `/moderation/flags/${id}`, { body: { status } }),
  moderationLog: (talkId: number) => json<Page<LogEntry>>('GET', `/talks/${talkId}/moderation-log?limit=200`),
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
