package realtime

// Disconnect is why the server closes a socket: the close code and reason
// sent in the close frame, and whether the client should reconnect.
type Disconnect struct {
	Code      int
	Reason    string
	Reconnect bool
}

// Every close the hub sends, in one table. Codes are from RFC 6455 §7.4.1 so
// that browsers and proxies understand them without a custom mapping.
var (
	// DisconnectNormal: the client asked to close.
	DisconnectNormal = Disconnect{Code: 1000, Reason: "bye", Reconnect: false}
	// DisconnectIdle: nothing (not even a pong) from the client for the idle timeout.
	DisconnectIdle = Disconnect{Code: 1001, Reason: "idle timeout", Reconnect: true}
	// DisconnectBadFrame: a binary frame or a frame that is not JSON.
	DisconnectBadFrame = Disconnect{Code: 1003, Reason: "text JSON frames only", Reconnect: false}
	// DisconnectRateLimited: the client kept sending faster than its limit after warnings.
	DisconnectRateLimited = Disconnect{Code: 1008, Reason: "rate limit exceeded", Reconnect: true}
	// DisconnectSessionEnded: logout, role change or account deletion (DisconnectUser).
	DisconnectSessionEnded = Disconnect{Code: 1008, Reason: "session ended", Reconnect: true}
	// DisconnectTooBig: a frame over the read limit (16 KiB).
	DisconnectTooBig = Disconnect{Code: 1009, Reason: "frame too big", Reconnect: false}
	// DisconnectInternal: the hub hit an error it cannot hide (for example
	// an event it can no longer fetch); the client reconnects with since.
	DisconnectInternal = Disconnect{Code: 1011, Reason: "internal error", Reconnect: true}
	// DisconnectShutdown: this instance is going away; reconnect (with
	// jittered backoff and since) to any instance.
	DisconnectShutdown = Disconnect{Code: 1012, Reason: "service restart", Reconnect: true}
	// DisconnectSlow: the send queue overflowed; reconnect with since and
	// lose nothing.
	DisconnectSlow = Disconnect{Code: 1013, Reason: "slow consumer", Reconnect: true}
	// DisconnectWriteError: writing to the socket failed; nothing to send.
	DisconnectWriteError = Disconnect{Code: 1006, Reason: "write failed", Reconnect: true}
)

// DisconnectTooMany: the user or address already holds the most live sockets
// allowed (a connection that raced past the upgrade's 429).
var DisconnectTooMany = Disconnect{Code: 1008, Reason: "too many connections", Reconnect: false}
