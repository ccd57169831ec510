package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hubtalks/hubtalks/server/accounts"
)

// config is the whole environment of the process. Only cmd/ reads it.
type config struct {
	DatabaseURL    string
	RedisURL       string
	RedisPrefix    string
	Port           int
	BaseURL        string
	AllowedOrigins []string
	TrustedProxies []string
	SMTPURL        *url.URL
	// SeriesEmail is the series' address: the ORGANIZER of every calendar
	// (empty: the mail sender).
	SeriesEmail    string
	AdminEmail     string
	AdminPassword  string
	LogLevel       slog.Level
	RunMigrations  bool
	SeriesTimezone *time.Location
	// The live hub's limits (0: the hub's defaults).
	EventRetention        time.Duration
	LiveSocketsPerUser    int
	LiveSocketsPerAddress int
	// MetricsAddr serves /metrics on its own listener (not the public port).
	MetricsAddr string
	// MailLogBodies: the log mailer prints message bodies (verification and
	// reset links): for the local demo only.
	MailLogBodies bool
	// PlaylistSyncInterval: how often serving instances sync playlists from
	// YouTube (PLAYLIST_SYNC_INTERVAL, default 1h, 0 never);
	// PlaylistFeedURL replaces YouTube's feed address (PLAYLIST_FEED_URL,
	// for tests against a local feed server).
	PlaylistSyncInterval time.Duration
	PlaylistFeedURL      string
}

// envError names the variable so a bad deployment says what to fix.
type envError struct{ name, msg string }

func (e envError) Error() string { return e.name + ": " + e.msg }

func loadConfig(getenv func(string) string) (config, error) {
	c := config{Port: 3000, LogLevel: slog.LevelInfo, RedisPrefix: "hubtalks:", PlaylistSyncInterval: time.Hour}
	c.DatabaseURL = strings.TrimSpace(getenv("DATABASE_URL"))
	if c.DatabaseURL == "" {
		return c, envError{"DATABASE_URL", "is required (postgres://user:pass@host:5432/db?sslmode=disable)"}
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return c, envError{"DATABASE_URL", "must be a postgres:// URL"}
	}
	c.RedisURL = strings.TrimSpace(getenv("REDIS_URL"))
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			return c, envError{"REDIS_URL", "must be a redis://, rediss:// or unix:// URL"}
		}
	}
	if v := getenv("REDIS_PREFIX"); v != "" {
		c.RedisPrefix = v
	}
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return c, envError{"PORT", "must be a port number from 1 to 65535"}
		}
		c.Port = p
	}
	c.BaseURL = strings.TrimRight(strings.TrimSpace(getenv("BASE_URL")), "/")
	if c.BaseURL == "" {
		c.BaseURL = fmt.Sprintf("http://localhost:%d", c.Port)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, envError{"BASE_URL", "must be an http(s) URL such as https://talks.example.org"}
	}
	for _, o := range splitList(getenv("ALLOWED_ORIGINS")) {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return c, envError{"ALLOWED_ORIGINS", fmt.Sprintf("%q is not an origin such as https://app.example.org", o)}
		}
		c.AllowedOrigins = append(c.AllowedOrigins, strings.TrimRight(o, "/"))
	}
	c.TrustedProxies = splitList(getenv("TRUSTED_PROXIES"))
	for _, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				return c, envError{"TRUSTED_PROXIES", fmt.Sprintf("%q is not an address or a CIDR such as 10.0.0.0/8", p)}
			}
		}
	}
	if v := strings.TrimSpace(getenv("SMTP_URL")); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			return c, envError{"SMTP_URL", "must be smtp://user:pass@host:587 or smtps://…"}
		}
		c.SMTPURL = u
	}
	c.SeriesEmail = strings.TrimSpace(getenv("SERIES_EMAIL"))
	if c.SeriesEmail != "" && !accounts.ValidEmail(c.SeriesEmail) {
		return c, envError{"SERIES_EMAIL", "must be an email address such as talks@example.org"}
	}
	var err error
	if c.MailLogBodies, err = envSwitch(getenv, "MAIL_LOG_BODIES"); err != nil {
		return c, err
	}
	if v := strings.TrimSpace(getenv("METRICS_ADDR")); v != "" {
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			return c, envError{"METRICS_ADDR", "must be host:port or :port, e.g. 127.0.0.1:9100"}
		}
		c.MetricsAddr = v
	}
	c.AdminEmail = strings.TrimSpace(getenv("ADMIN_EMAIL"))
	c.AdminPassword = getenv("ADMIN_PASSWORD")
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return c, envError{"ADMIN_EMAIL", "and ADMIN_PASSWORD must be set together"}
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return c, envError{"LOG_LEVEL", "must be debug, info, warn or error"}
		}
	}
	if c.RunMigrations, err = envSwitch(getenv, "RUN_MIGRATIONS"); err != nil {
		return c, err
	}
	tz := getenv("SERIES_TIMEZONE")
	if tz == "" {
		tz = "Europe/Brussels"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return c, envError{"SERIES_TIMEZONE", fmt.Sprintf("%q is not a known time zone", tz)}
	}
	c.SeriesTimezone = loc
	if v := getenv("EVENT_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour {
			return c, envError{"EVENT_RETENTION", "must be a duration of at least 1h, such as 168h"}
		}
		c.EventRetention = d
	}
	if v := strings.TrimSpace(getenv("PLAYLIST_SYNC_INTERVAL")); v != "" {
		d, err := time.ParseDuration(v)
		if v == "0" {
			d, err = 0, nil
		}
		if err != nil || (d != 0 && d < time.Minute) {
			return c, envError{"PLAYLIST_SYNC_INTERVAL", "must be 0 (never) or a duration of at least 1m, such as 1h"}
		}
		c.PlaylistSyncInterval = d
	}
	if v := strings.TrimSpace(getenv("PLAYLIST_FEED_URL")); v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, envError{"PLAYLIST_FEED_URL", "must be an http(s) URL (tests only; the default is YouTube's feed address)"}
		}
		c.PlaylistFeedURL = v
	}
	for _, v := range []struct {
		name string
		dst  *int
	}{{"LIVE_SOCKETS_PER_USER", &c.LiveSocketsPerUser}, {"LIVE_SOCKETS_PER_ADDRESS", &c.LiveSocketsPerAddress}} {
		if s := getenv(v.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return c, envError{v.name, "must be a positive whole number"}
			}
			*v.dst = n
		}
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// envSwitch reads a variable that is on ("1", "true") or off (unset, "0",
// "false").
func envSwitch(getenv func(string) string, name string) (bool, error) {
	switch getenv(name) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, envError{name, "must be 1 or 0"}
}
