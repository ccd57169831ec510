package accounts

import (
	"sync"
	"time"
)

// sessionCache remembers recent session lookups for a moment, so that a busy
// client does not cost a database query on every request. Revocations made
// through this instance (logout, role change, erasure, login replacing a
// session) evict at once; on other instances a revoked session may live on
// for at most sessionCacheTTL.
type sessionCache struct {
	ttl    time.Duration
	mu     sync.Mutex
	byHash map[string]cachedSession
	// evictions counts evict calls: a lookup that started before one may
	// have read a session that is revoked now, so its result is not cached.
	evictions uint64
}

type cachedSession struct {
	su    sessionUser
	until time.Time
}

// sessionCacheTTL bounds how stale a cached session may be.
const sessionCacheTTL = 2 * time.Second

func newSessionCache(ttl time.Duration) *sessionCache {
	return &sessionCache{ttl: ttl, byHash: map[string]cachedSession{}}
}

func (c *sessionCache) get(hash []byte) (sessionUser, bool) {
	if c == nil {
		return sessionUser{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byHash[string(hash)]
	if !ok || time.Now().After(e.until) {
		return sessionUser{}, false
	}
	return e.su, true
}

// mark is taken before a lookup and handed to put with its result.
func (c *sessionCache) mark() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.evictions
}

// put caches a lookup's result unless a session was evicted since mark.
func (c *sessionCache) put(hash []byte, su sessionUser, mark uint64) {
	if c == nil {
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.evictions != mark {
		return
	}
	if len(c.byHash) >= 50_000 {
		for k, e := range c.byHash {
			if now.After(e.until) {
				delete(c.byHash, k)
			}
		}
		if len(c.byHash) >= 50_000 { // all fresh: start over rather than grow
			clear(c.byHash)
		}
	}
	c.byHash[string(hash)] = cachedSession{su: su, until: now.Add(c.ttl)}
}

// evict forgets one session (by id) or every session of a user (userID > 0).
func (c *sessionCache) evict(sessionID, userID int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evictions++
	for k, e := range c.byHash {
		if (sessionID > 0 && e.su.SessionID == sessionID) || (userID > 0 && e.su.ID == userID) {
			delete(c.byHash, k)
		}
	}
}
