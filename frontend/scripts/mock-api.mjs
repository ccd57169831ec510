// A throw-away, in-memory stand-in for the Hub Talks server, for developing
// and eyeballing the web app before the Go server exists. It follows
// shared/docs/api.md and live-protocol.md loosely; it is NOT the contract and
// not used by any test. Serves dist/ with the SPA fallback.
//
//   npm run build && node scripts/mock-api.mjs [port]
//   logins: any email + any 10+ char password. "mod@…" is a moderator,
//   "speaker@…" a speaker of talk 1. POST /mock/drop closes all sockets.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

const port = Number(process.argv[2] ?? 4173);
const dist = new URL('../dist/', import.meta.url).pathname;
const now = Date.now();
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const H = 3600_000;

let ids = 100;
const users = new Map(); // id -> user
const sessions = new Map(); // token -> id
const byEmail = new Map();
function mkUser(email, name) {
  const role = email.startsWith('mod@') ? 'moderator' : email.startsWith('admin@') ? 'admin' : 'participant';
  const u = { id: ++ids, email, display_name: name, role, created_at: iso(now) };
  users.set(u.id, u);
  byEmail.set(email.toLowerCase(), u);
  return u;
}
const speaker = mkUser('speaker@example.org', 'Dr. Ana Ribeiro');
mkUser('mod@example.org', 'Moderator Max');
const pub = (u) => ({ id: u.id, display_name: u.display_name });

const qa = (m = 'post') => ({ moderation: m, allow_anonymous: true, open: true });
const talks = [
  { id: 1, slug: 'ai-in-digital-health', title: 'AI in digital health: what works in practice', starts_at: iso(now - 0.25 * H), ends_at: iso(now + 0.75 * H), status: 'live', tags: ['ai', 'policy'], capacity: 100, registered_count: 64, waitlist_count: 0, speakers: [pub(speaker)], qa: qa('pre') },
  { id: 2, slug: 'mhealth-for-ncds', title: 'mHealth for non-communicable diseases', starts_at: iso(now + 48 * H), ends_at: iso(now + 49 * H), status: 'scheduled', tags: ['ncd'], capacity: 2, registered_count: 2, waitlist_count: 3, speakers: [{ id: 900, display_name: 'Prof. Lena Vogt' }], qa: qa() },
  { id: 3, slug: 'interoperability-101', title: 'Interoperability 101: FHIR for policy makers', starts_at: iso(now + 7 * 24 * H), ends_at: iso(now + 7 * 24 * H + 1.5 * H), status: 'scheduled', tags: ['interoperability', 'policy'], capacity: null, registered_count: 12, waitlist_count: 0, speakers: [], qa: qa() },
  { id: 4, slug: 'health-apps-assessment', title: 'Assessing health apps across Europe', starts_at: iso(now - 30 * 24 * H), ends_at: iso(now - 30 * 24 * H + H), status: 'ended', tags: ['apps'], capacity: 200, registered_count: 150, waitlist_count: 0, speakers: [pub(speaker)], qa: { ...qa(), open: false }, recording: { video_id: 'M7lc1UVf-VE', url: 'https://www.youtube.com/watch?v=M7lc1UVf-VE' } },
].map((t) => ({ abstract: `A Hub Talk on “${t.title}”.\n\nBring your questions.`, language: 'en', format: 'webinar', location: 'Online', stream_url: 'https://example.org/stream', registration_closes_at: null, recording: null, created_at: iso(now - 40 * 24 * H), updated_at: iso(now - 40 * 24 * H), ...t }));

const regs = new Map(); // `${talk}:${user}` -> reg
const questions = [];
const votes = new Set();
const threads = [];
const posts = [];
const flags = [];
const log = [];
function mkQ(talk_id, body, author, p = {}) {
  const q = { id: ++ids, talk_id, body, author: author ? pub(author) : null, anonymous: !author, status: 'approved', pinned: false, votes: 0, voted: false, answers: [], created_at: iso(Date.now()), updated_at: iso(Date.now()), ...p };
  questions.push(q);
  return q;
}
mkQ(1, 'How do you validate AI models on data from different EU health systems?', speaker, { votes: 12, created_at: iso(now - 600_000) });
mkQ(1, 'Which regulation applies to a symptom-checker app: MDR or the AI Act, or both?', null, { votes: 8, pinned: true, created_at: iso(now - 500_000) });
mkQ(1, '<img src=x onerror=alert(1)> is this shown as text?', null, { votes: 1, created_at: iso(now - 400_000) });
mkQ(1, 'Waiting for approval', speaker, { status: 'pending', created_at: iso(now - 300_000) });
threads.push({ id: ++ids, talk_id: 1, title: 'Slides and links from the talk', body: 'Share useful links here.', author: pub(speaker), pinned: true, locked: false, hidden: false, post_count: 0, last_activity_at: iso(now - 3600_000), created_at: iso(now - 3600_000) });

// ---- live hub
const channels = new Map(); // name -> {seq, events:[]}
const sockets = new Set();
function chan(name) {
  if (!channels.has(name)) channels.set(name, { seq: 0, events: [] });
  return channels.get(name);
}
function publish(name, type, data) {
  const c = chan(name);
  const ev = { op: 'event', channel: name, seq: ++c.seq, type, at: new Date().toISOString(), data };
  c.events.push(ev);
  for (const s of sockets) if (s.subs.has(name)) s.send(ev);
}
setInterval(() => {
  const counts = new Map();
  for (const s of sockets) for (const n of s.subs) counts.set(n, (counts.get(n) ?? 0) + 1);
  for (const s of sockets) for (const n of s.subs) if (!n.endsWith(':staff')) s.send({ op: 'event', channel: n, type: 'presence', data: { viewers: counts.get(n) + 41 } });
}, 2000);
const viewQ = (q, u) => ({ ...q, voted: !!u && votes.has(`${q.id}:${u.id}`) });

function wsUpgrade(req, socket) {
  const key = req.headers['sec-websocket-key'];
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const user = userOf(req);
  const s = {
    subs: new Set(),
    send(obj) {
      const p = Buffer.from(JSON.stringify(obj));
      const head = p.length < 126 ? Buffer.from([0x81, p.length]) : Buffer.from([0x81, 126, p.length >> 8, p.length & 255]);
      socket.write(Buffer.concat([head, p]));
    },
    close() {
      try {
        socket.write(Buffer.from([0x88, 2, 0x03, 0xf4])); // 1012
      } catch {}
      socket.end();
    },
  };
  sockets.add(s);
  let buf = Buffer.alloc(0);
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 6) {
      const op = buf[0] & 15;
      let len = buf[1] & 127, off = 2;
      if (len === 126) { len = buf.readUInt16BE(2); off = 4; }
      if (buf.length < off + 4 + len) return;
      const mask = buf.subarray(off, off + 4);
      const pl = Buffer.from(buf.subarray(off + 4, off + 4 + len)).map((b, i) => b ^ mask[i % 4]);
      buf = buf.subarray(off + 4 + len);
      if (op === 8) { socket.end(); return; }
      if (op !== 1) continue;
      let m;
      try { m = JSON.parse(pl.toString()); } catch { continue; }
      if (m.op === 'ping') s.send({ op: 'pong' });
      else if (m.op === 'subscribe') {
        if (m.channel.endsWith(':staff') && !(user && (user.role !== 'participant' || user.id === speaker.id))) {
          s.send({ op: 'error', code: 'forbidden', message: 'staff channel', channel: m.channel });
          continue;
        }
        const c = chan(m.channel);
        s.subs.add(m.channel);
        if (typeof m.since === 'number') for (const ev of c.events) if (ev.seq > m.since) s.send(ev);
        s.send({ op: 'subscribed', channel: m.channel, seq: c.seq, recovered: true });
      } else if (m.op === 'unsubscribe') s.subs.delete(m.channel);
      else s.send({ op: 'error', code: 'unknown_op', message: 'unknown op' });
    }
  });
  socket.on('close', () => sockets.delete(s));
  socket.on('error', () => sockets.delete(s));
}

// ---- HTTP
function userOf(req) {
  const m = /hub_session=([^;]+)/.exec(req.headers.cookie ?? '');
  return m && sessions.has(m[1]) ? users.get(sessions.get(m[1])) : null;
}
const problem = (res, status, code, detail, errors) => send(res, status, { type: 'about:blank', title: { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity', 423: 'Locked' }[status] ?? 'Error', status, code, detail, ...(errors ? { errors } : {}) }, 'application/problem+json');
function send(res, status, body, ct = 'application/json; charset=utf-8', headers = {}) {
  res.writeHead(status, { 'Content-Type': ct, ...headers });
  res.end(body === undefined ? '' : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}
const page = (items) => ({ items, next_cursor: null });
const staffOf = (u, t) => !!u && (u.role !== 'participant' || t.speakers.some((s) => s.id === u.id));
function login(res, u, status) {
  const tok = createHash('sha1').update(String(Math.random())).digest('hex');
  sessions.set(tok, u.id);
  send(res, status, { user: u, token: tok }, undefined, { 'Set-Cookie': `hub_session=${tok}; Path=/; HttpOnly; SameSite=Lax` });
}
function regView(t) {
  const rs = [...regs.values()].filter((r) => r.talk_id === t.id);
  return { ...t };
}

async function api(req, res, path, body, u) {
  const M = req.method;
  let m;
  if (path === '/auth/signup' && M === 'POST') {
    const errors = [];
    if (!/^\S+@\S+$/.test(body.email ?? '')) errors.push({ field: 'email', message: 'Enter a valid email address.' });
    if ((body.password ?? '').length < 10) errors.push({ field: 'password', message: 'Use at least 10 characters.' });
    if (errors.length) return problem(res, 422, 'validation', 'Some fields need attention.', errors);
    if (byEmail.has(body.email.toLowerCase())) return problem(res, 409, 'email_taken', 'An account with this email exists already.', [{ field: 'email', message: 'Already registered: log in instead.' }]);
    return login(res, mkUser(body.email, body.display_name), 201);
  }
  if (path === '/auth/login' && M === 'POST') {
    let x = byEmail.get((body.email ?? '').toLowerCase());
    if (!x && (body.password ?? '').length >= 10) x = mkUser(body.email, body.email.split('@')[0]);
    if (!x) return problem(res, 401, 'invalid_credentials', 'The email or password is wrong.');
    return login(res, x, 200);
  }
  if (path === '/auth/logout') return send(res, 204);
  if (path === '/talks' && M === 'GET') {
    const q = new URL(req.url, 'http://x').searchParams;
    let list = talks.filter((t) => t.status !== 'draft' || (u && u.role !== 'participant'));
    if (q.get('from')) list = list.filter((t) => t.starts_at >= q.get('from'));
    if (q.get('to')) list = list.filter((t) => t.starts_at < q.get('to'));
    if (q.get('tag')) list = list.filter((t) => t.tags.includes(q.get('tag')));
    if (q.get('q')) list = list.filter((t) => (t.title + t.abstract + t.slug).toLowerCase().includes(q.get('q').toLowerCase()));
    return send(res, 200, page(list.sort((a, b) => a.starts_at.localeCompare(b.starts_at))));
  }
  if (path === '/talks' && M === 'POST') {
    if (!u || u.role === 'participant') return problem(res, 403, 'forbidden', 'Only moderators can create talks.');
    if (!body.title) return problem(res, 422, 'validation', 'Some fields need attention.', [{ field: 'title', message: 'A title is required.' }]);
    const t = { ...talks[2], ...body, id: ++ids, slug: body.title.toLowerCase().replace(/[^a-z0-9]+/g, '-'), registered_count: 0, waitlist_count: 0, speakers: (body.speakers ?? []).map((s) => pub(users.get(s.id) ?? { id: s.id, display_name: `User ${s.id}` })) };
    talks.push(t);
    return send(res, 201, t);
  }
  if ((m = /^\/talks\/(\d+)\.ics$/.exec(path))) return send(res, 200, 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', 'text/calendar');
  const talkM = /^\/talks\/(\d+)(\/.*)?$/.exec(path);
  if (talkM) {
    const t = talks.find((x) => x.id === Number(talkM[1]));
    if (!t) return problem(res, 404, 'not_found', 'There is no such talk.');
    const rest = talkM[2] ?? '';
    const key = u ? `${t.id}:${u.id}` : '';
    if (rest === '' && M === 'GET') return send(res, 200, regView(t));
    if (rest === '' && M === 'PATCH') {
      if (body.ends_at && body.starts_at && body.ends_at <= body.starts_at) return problem(res, 422, 'validation', 'Some fields need attention.', [{ field: 'ends_at', message: 'The end must be after the start.' }]);
      Object.assign(t, body, body.speakers ? { speakers: body.speakers.map((s) => pub(users.get(s.id) ?? { id: s.id, display_name: `User ${s.id}` })) } : {});
      publish(`talk:${t.id}`, 'talk.updated', t);
      return send(res, 200, t);
    }
    if (rest === '/status') {
      t.status = body.status;
      publish(`talk:${t.id}`, 'talk.updated', t);
      return send(res, 200, t);
    }
    if (rest === '/cancel') { t.status = 'cancelled'; return send(res, 200, t); }
    if (rest === '/registrations' && M === 'POST') {
      if (!u) return problem(res, 401, 'unauthorized', 'Please log in first.');
      if (t.status === 'ended' || t.status === 'cancelled') return problem(res, 409, 'registration_closed', 'Registration for this talk is closed.');
      if (regs.has(key)) return send(res, 200, regs.get(key));
      const full = t.capacity !== null && t.registered_count >= t.capacity;
      const r = { talk_id: t.id, user_id: u.id, status: full ? 'waitlisted' : 'confirmed', waitlist_position: full ? t.waitlist_count + 1 : null, created_at: iso(Date.now()) };
      if (full) t.waitlist_count++; else t.registered_count++;
      regs.set(key, r);
      return send(res, 201, r);
    }
    if (rest === '/registrations/me' && M === 'DELETE') {
      const r = regs.get(key);
      if (r) { regs.delete(key); if (r.status === 'confirmed') t.registered_count--; else t.waitlist_count--; }
      return send(res, 204);
    }
    if (rest === '/registrations' && M === 'GET') return send(res, 200, 'email,display_name,status\r\na@example.org,Ana,confirmed\r\n', 'text/csv');
    if (rest.startsWith('/questions') && M === 'GET') {
      const q = new URL(req.url, 'http://x').searchParams;
      const staff = staffOf(u, t);
      let list = questions.filter((x) => x.talk_id === t.id);
      if (q.get('status')) list = list.filter((x) => x.status === q.get('status'));
      else if (!staff) list = list.filter((x) => x.status === 'approved' || x.status === 'answered');
      return send(res, 200, page(list.map((x) => viewQ(x, u))));
    }
    if (rest === '/questions' && M === 'POST') {
      if (!u) return problem(res, 401, 'unauthorized', 'Please log in first.');
      const b = (body.body ?? '').trim();
      if (!b || b.length > 500) return problem(res, 422, 'validation', 'Your question needs attention.', [{ field: 'body', message: 'Write between 1 and 500 characters.' }]);
      if (!t.qa.open || t.status === 'ended') return problem(res, 409, 'qa_closed', 'Q&A is closed for this talk.');
      const q = mkQ(t.id, b, body.anonymous ? null : u, { anonymous: !!body.anonymous, status: t.qa.moderation === 'pre' ? 'pending' : 'approved' });
      if (body.anonymous) q.author = null;
      publish(q.status === 'pending' ? `talk:${t.id}:staff` : `talk:${t.id}`, 'question.created', q);
      return send(res, 201, viewQ(q, u));
    }
    if (rest === '/threads' && M === 'GET') return send(res, 200, page(threads.filter((x) => x.talk_id === t.id)));
    if (rest === '/threads' && M === 'POST') {
      const th = { id: ++ids, talk_id: t.id, title: body.title, body: body.body, author: pub(u), pinned: false, locked: false, hidden: false, post_count: 0, last_activity_at: iso(Date.now()), created_at: iso(Date.now()) };
      threads.push(th);
      publish(`talk:${t.id}`, 'thread.created', th);
      return send(res, 201, th);
    }
    if (rest === '/moderation-log') return send(res, 200, page(log.filter((x) => x.talk_id === t.id)));
  }
  if ((m = /^\/questions\/(\d+)(\/\w+)?$/.exec(path))) {
    const q = questions.find((x) => x.id === Number(m[1]));
    if (!q) return problem(res, 404, 'not_found', 'No such question.');
    if (!u) return problem(res, 401, 'unauthorized', 'Please log in first.');
    const ch = `talk:${q.talk_id}`;
    if (m[2] === '/vote') {
      const k = `${q.id}:${u.id}`;
      if (M === 'PUT' && !votes.has(k)) { votes.add(k); q.votes++; }
      if (M === 'DELETE' && votes.has(k)) { votes.delete(k); q.votes--; }
      publish(ch, 'question.voted', { id: q.id, votes: q.votes });
      return send(res, 200, { id: q.id, votes: q.votes, voted: votes.has(k) });
    }
    if (m[2] === '/answers') {
      const a = { id: ++ids, question_id: q.id, body: body.body, author: pub(u), created_at: iso(Date.now()) };
      q.answers.push(a);
      publish(ch, 'answer.created', a);
      return send(res, 201, a);
    }
    if (m[2] === '/flags') {
      const f = { id: ++ids, target: { type: 'question', id: q.id }, reason: body.reason, status: 'open', reporter: pub(u), created_at: iso(Date.now()) };
      flags.push(f);
      return send(res, 201, f);
    }
    if (M === 'PATCH') {
      const was = q.status;
      if (body.pinned) for (const x of questions) if (x.talk_id === q.talk_id && x.pinned && x.id !== q.id) { x.pinned = false; publish(ch, 'question.updated', x); }
      Object.assign(q, body, { updated_at: iso(Date.now()) });
      log.push({ id: ++ids, talk_id: q.talk_id, actor: pub(u), action: body.status ? `question.${body.status}` : body.pinned ? 'question.pinned' : 'question.unpinned', target: { type: 'question', id: q.id }, reason: null, created_at: iso(Date.now()) });
      if (q.status === 'dismissed') publish(ch, 'question.removed', { id: q.id });
      else if (was === 'pending' && q.status === 'approved') publish(ch, 'question.created', q);
      else publish(ch, 'question.updated', q);
      publish(`${ch}:staff`, 'question.updated', q);
      return send(res, 200, viewQ(q, u));
    }
  }
  if ((m = /^\/threads\/(\d+)(\/posts)?$/.exec(path))) {
    const th = threads.find((x) => x.id === Number(m[1]));
    if (!th) return problem(res, 404, 'not_found', 'No such thread.');
    if (m[2] && M === 'POST') {
      if (th.locked) return problem(res, 423, 'thread_locked', 'This thread is locked.');
      const p = { id: ++ids, thread_id: th.id, parent_id: body.parent_id ?? null, body: body.body, author: pub(u), hidden: false, created_at: iso(Date.now()), edited_at: null };
      posts.push(p);
      th.post_count++;
      publish(`talk:${th.talk_id}`, 'post.created', p);
      return send(res, 201, p);
    }
    if (M === 'PATCH') { Object.assign(th, body); publish(`talk:${th.talk_id}`, 'thread.updated', th); return send(res, 200, th); }
    return send(res, 200, { ...th, posts: posts.filter((p) => p.thread_id === th.id), next_cursor: null });
  }
  if ((m = /^\/posts\/(\d+)$/.exec(path))) { const p = posts.find((x) => x.id === Number(m[1])); Object.assign(p, body); return send(res, 200, p); }
  if (path === '/me') return u ? send(res, 200, u, undefined, { 'X-CSRF-Token': 'mock-csrf' }) : problem(res, 401, 'unauthorized', 'Not logged in.');
  if (path === '/me/registrations') return send(res, 200, page([...regs.values()].filter((r) => r.user_id === u?.id).map((r) => ({ ...r, talk: talks.find((t) => t.id === r.talk_id) }))));
  if (path === '/me/export') return send(res, 200, { user: u });
  if (path === '/me' && M === 'DELETE') return send(res, 204);
  if (path === '/moderation/flags') return send(res, 200, page(flags));
  if (path === '/playlists') return send(res, 200, page([{ id: 1, title: 'Hub Talks 2026', description: 'All recordings', youtube_playlist_id: 'PL123', items: [{ id: 1, position: 1, video_id: 'M7lc1UVf-VE', title: 'Assessing health apps across Europe', description: '', published_at: iso(now - 29 * 24 * H), thumbnail_url: null, talk_id: 4 }] }]));
  return problem(res, 404, 'not_found', `The mock has no ${M} ${path}.`);
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/mock/drop') { for (const s of sockets) s.close(); return send(res, 204); }
  if (url.pathname.startsWith('/api/v1/')) {
    let raw = '';
    for await (const c of req) raw += c;
    let body = {};
    try { body = raw && (req.headers['content-type'] ?? '').includes('json') ? JSON.parse(raw) : {}; } catch {}
    return api(req, res, url.pathname.slice(7), body, userOf(req));
  }
  const file = url.pathname.startsWith('/assets/') ? url.pathname : '/index.html';
  try {
    send(res, 200, await readFile(join(dist, file)), types[extname(file)] ?? 'application/octet-stream');
  } catch {
    send(res, 404, 'not found', 'text/plain');
  }
});
server.on('upgrade', (req, socket) => (req.url.startsWith('/api/v1/live') ? wsUpgrade(req, socket) : socket.destroy()));
server.listen(port, '127.0.0.1', () => console.log(`mock Hub Talks on http://127.0.0.1:${port}`));
