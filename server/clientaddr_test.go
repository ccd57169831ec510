package server

import (
	"net/netip"
	"testing"
)

func TestClientAddressRightToLeft(t *testing.T) {
	trusted := parseTrustedProxies([]string{"127.0.0.1", "10.0.0.0/8", "2001:db8::/32"})
	cases := []struct {
		peer string
		xff  []string
		want string
	}{
		{"192.0.2.1", []string{"203.0.113.5"}, "192.0.2.1"},                        // untrusted peer: its own address
		{"127.0.0.1", nil, "127.0.0.1"},                                            // no header
		{"127.0.0.1", []string{"203.0.113.5"}, "203.0.113.5"},                      // one proxy
		{"127.0.0.1", []string{"6.6.6.6, 203.0.113.5"}, "203.0.113.5"},             // forged left part
		{"127.0.0.1", []string{"6.6.6.6, 203.0.113.5, 10.1.2.3"}, "203.0.113.5"},   // two trusted hops
		{"127.0.0.1", []string{"6.6.6.6", "203.0.113.5, 10.1.2.3"}, "203.0.113.5"}, // several header lines
		{"127.0.0.1", []string{"10.0.0.9, 10.1.2.3"}, "10.0.0.9"},                  // all trusted: the leftmost
		{"127.0.0.1", []string{"not-an-ip, 10.1.2.3"}, "10.1.2.3"},                 // garbage ends the walk
		{"127.0.0.1", []string{"2001:db8::1, ::ffff:203.0.113.7"}, "203.0.113.7"},  // mapped IPv4
		{"::ffff:127.0.0.1", []string{"198.51.100.1"}, "198.51.100.1"},             // mapped peer
		{"2001:db8::5", []string{"2001:db9::1, 2001:db8::6"}, "2001:db9::1"},       // IPv6 proxies
	}
	for _, c := range cases {
		got := trusted.clientAddress(netip.MustParseAddr(c.peer), c.xff)
		if got.String() != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
}
