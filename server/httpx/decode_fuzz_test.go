package httpx

import (
	"errors"
	"testing"
)

type fuzzTarget struct {
	Email    string            `json:"email"`
	Count    int               `json:"count"`
	Ratio    float64           `json:"ratio"`
	OK       *bool             `json:"ok"`
	Tags     []string          `json:"tags"`
	Nested   *struct{ A int }  `json:"nested"`
	Extra    map[string]string `json:"extra"`
	Capacity *int              `json:"capacity"`
}

// FuzzDecode: any body decodes or is refused with a 4xx problem naming the
// trouble; nothing panics and nothing is a 5xx.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.co"}`, `{"count":"x"}`, `{"nested":{"A":1.5}}`, `[]`, `{"x":1}`, `{`, `{"tags":[1]}`, `{} {}`, "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v fuzzTarget
		err := DecodeBytes(body, &v)
		if err == nil {
			return
		}
		var p *Problem
		if !errors.As(err, &p) {
			t.Fatalf("decode error %v is not a problem", err)
		}
		if p.Status < 400 || p.Status >= 500 || p.Code == "" {
			t.Fatalf("problem %+v for body %q", p, body)
		}
		if p.Status == 422 && (len(p.Errors) == 0 || p.Errors[0].Field == "") {
			t.Fatalf("422 names no field: %+v", p)
		}
	})
}
