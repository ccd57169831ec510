package server

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// clientAddressHeader carries the client address computed by
// clientAddress; it is Fiber's ProxyHeader, so c.IP() answers it for a
// request from a trusted proxy. Whatever a client sends under this name is
// thrown away first.
const clientAddressHeader = "X-Hubtalks-Client-Address"

// trustedProxies is TRUSTED_PROXIES parsed: single addresses and CIDRs.
type trustedProxies []netip.Prefix

func parseTrustedProxies(list []string) trustedProxies {
	var out trustedProxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out
}

func (t trustedProxies) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddress walks X-Forwarded-For from right to left — each proxy
// appends the address it saw — skipping the trusted proxies, and takes the
// first address that is not one of them: the left part is whatever the
// client wrote and never chooses its rate-limit key. A request whose peer
// is not a trusted proxy is its peer. When every hop is trusted, the
// leftmost is the client; an entry that is no address ends the walk at the
// hop that appended it.
func (t trustedProxies) clientAddress(peer netip.Addr, forwardedFor []string) netip.Addr {
	client := peer.Unmap()
	if !t.contains(client) {
		return client
	}
	for i := len(forwardedFor) - 1; i >= 0; i-- {
		hops := strings.Split(forwardedFor[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[j]))
			if err != nil {
				return client
			}
			client = a.Unmap()
			if !t.contains(client) {
				return client
			}
		}
	}
	return client
}

// resolveClientAddress is the first middleware: it sets the client address
// that c.IP() answers (see clientAddressHeader).
func (s *Server) resolveClientAddress(c *fiber.Ctx) error {
	c.Request().Header.Del(clientAddressHeader)
	if len(s.trusted) == 0 {
		return c.Next()
	}
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok || !s.trusted.contains(peer) {
		return c.Next()
	}
	var forwarded []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		forwarded = append(forwarded, string(v))
	}
	c.Request().Header.Set(clientAddressHeader, s.trusted.clientAddress(peer, forwarded).String())
	return c.Next()
}
