package main

import (
	"maps"
	"strings"
	"testing"
	"time"
)

func TestConfigErrorsNameTheVariable(t *testing.T) {
	base := map[string]string{"DATABASE_URL": "postgres://u@localhost/db?sslmode=disable"}
	cases := map[string]string{ // variable: a wrong value
		"DATABASE_URL":             "",
		"PORT":                     "eighty",
		"REDIS_URL":                "http://redis",
		"BASE_URL":                 "talks.example.org",
		"ALLOWED_ORIGINS":          "https://ok.example, javascript:alert(1)",
		"SMTP_URL":                 "mail.example.org",
		"ADMIN_EMAIL":              "root@example.org",
		"LOG_LEVEL":                "loud",
		"RUN_MIGRATIONS":           "yes please",
		"SERIES_TIMEZONE":          "Mars/Olympus_Mons",
		"EVENT_RETENTION":          "5m",
		"LIVE_SOCKETS_PER_USER":    "0",
		"LIVE_SOCKETS_PER_ADDRESS": "many",
		"TRUSTED_PROXIES":          "10.0.0.1, proxy.internal",
		"MAIL_LOG_BODIES":          "yes",
		"METRICS_ADDR":             "9100",
		"PLAYLIST_SYNC_INTERVAL":   "10s",
		"PLAYLIST_FEED_URL":        "file:///etc/passwd",
		"SERIES_EMAIL":             "Hub Talks <talks@example.org>",
	}
	for name, value := range cases {
		env := maps.Clone(base)
		env[name] = value
		_, err := loadConfig(func(k string) string { return env[k] })
		if err == nil || !strings.HasPrefix(err.Error(), name) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v should be one line naming the variable", name, err)
		}
	}
	cfg, err := loadConfig(func(k string) string { return base[k] })
	if err != nil || cfg.Port != 3000 || cfg.BaseURL != "http://localhost:3000" || cfg.SeriesTimezone.String() != "Europe/Brussels" ||
		cfg.PlaylistSyncInterval != time.Hour || cfg.PlaylistFeedURL != "" || cfg.SeriesEmail != "" {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
}
