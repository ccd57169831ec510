package main

import (
	"strings"
	"testing"
)

func TestConfigErrorsNameTheVariable(t *testing.T) {
	base := map[string]string{"DATABASE_URL": "postgres://u@localhost/db?sslmode=disable"}
	cases := map[string]map[string]string{
		"DATABASE_URL":             {"DATABASE_URL": ""},
		"PORT":                     {"PORT": "eighty"},
		"REDIS_URL":                {"REDIS_URL": "http://redis"},
		"BASE_URL":                 {"BASE_URL": "talks.example.org"},
		"ALLOWED_ORIGINS":          {"ALLOWED_ORIGINS": "https://ok.example, javascript:alert(1)"},
		"SMTP_URL":                 {"SMTP_URL": "mail.example.org"},
		"ADMIN_EMAIL":              {"ADMIN_EMAIL": "root@example.org"},
		"LOG_LEVEL":                {"LOG_LEVEL": "loud"},
		"RUN_MIGRATIONS":           {"RUN_MIGRATIONS": "yes please"},
		"SERIES_TIMEZONE":          {"SERIES_TIMEZONE": "Mars/Olympus_Mons"},
		"EVENT_RETENTION":          {"EVENT_RETENTION": "5m"},
		"LIVE_SOCKETS_PER_USER":    {"LIVE_SOCKETS_PER_USER": "0"},
		"LIVE_SOCKETS_PER_ADDRESS": {"LIVE_SOCKETS_PER_ADDRESS": "many"},
	}
	for name, override := range cases {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range override {
			env[k] = v
		}
		_, err := loadConfig(func(k string) string { return env[k] })
		if err == nil || !strings.HasPrefix(err.Error(), name) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v should be one line naming the variable", name, err)
		}
	}
	cfg, err := loadConfig(func(k string) string { return base[k] })
	if err != nil || cfg.Port != 3000 || cfg.BaseURL != "http://localhost:3000" || cfg.SeriesTimezone.String() != "Europe/Brussels" {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
}
