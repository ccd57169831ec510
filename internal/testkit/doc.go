// Package testkit holds helpers for tests that several packages share
// (realtime, server and the commands): polling for a condition, serving a
// Fiber app on loopback, and reading a WebSocket in the background.
//
// Helpers for tests only; never imported by production code.
package testkit
