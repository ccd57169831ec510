// Package e2e holds the web app's browser tests: the real Hub Talks server
// (server/testserver, real PostgreSQL, live hub) serving the embedded app to
// a real headless Chromium driven by chromedp. The tests are in *_test.go;
// they skip when the app is not built or Chromium is missing, and fail
// instead under HUBTALKS_TEST_REQUIRE_SERVICES=1.
package e2e
