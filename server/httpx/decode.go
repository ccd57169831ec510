package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/domain"
)

// Decode reads the JSON body into dst strictly: unknown fields, wrong types
// and trailing data are rejected with a 422 naming the field; a body that is
// not JSON at all gets a 400 malformed_json.
func Decode(c *fiber.Ctx, dst any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return BadRequest("malformed_json", "the request body must be a JSON object")
	}
	return DecodeBytes(body, dst)
}

// DecodeBytes is Decode for a body already in hand.
func DecodeBytes(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return BadRequest("malformed_json", "the request body must hold exactly one JSON value")
	}
	// PostgreSQL text cannot hold NUL; say which field has one.
	if bytes.Contains(body, []byte(`\u0000`)) {
		var v any
		if json.Unmarshal(body, &v) == nil {
			if field, ok := findNUL(v, ""); ok {
				return Invalid(domain.FieldError{Field: field, Message: "must not contain NUL characters"})
			}
		}
	}
	return nil
}

// findNUL returns the path (a.b[2]) of the first string holding a NUL.
func findNUL(v any, path string) (string, bool) {
	switch x := v.(type) {
	case string:
		return path, strings.ContainsRune(x, 0)
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if strings.ContainsRune(k, 0) {
				return p, true
			}
			if f, ok := findNUL(e, p); ok {
				return f, true
			}
		}
	case []any:
		for i, e := range x {
			if f, ok := findNUL(e, path+"["+strconv.Itoa(i)+"]"); ok {
				return f, true
			}
		}
	}
	return "", false
}

func decodeProblem(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return BadRequest("malformed_json", "the request body is not valid JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return BadRequest("malformed_json", "the request body must be a JSON object")
		}
		return wrongType(field, typ.Type.Kind().String())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if unq, uerr := strconv.Unquote(field); uerr == nil && unq != "" {
			field = unq
		}
		return Invalid(domain.FieldError{Field: field, Message: "unknown field"})
	}
	var p *Problem
	if errors.As(err, &p) { // from a custom UnmarshalJSON
		return p
	}
	return BadRequest("malformed_json", "the request body could not be read as JSON")
}

// wrongType is the 422 for a field of the wrong JSON type.
func wrongType(field, goKind string) *Problem {
	msg := "must be of another type"
	switch goKind {
	case "string":
		msg = "must be a string"
	case "bool":
		msg = "must be true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		msg = "must be an integer"
	case "float32", "float64":
		msg = "must be a number"
	case "slice", "array":
		msg = "must be an array"
	case "map", "struct":
		msg = "must be an object"
	}
	return Invalid(domain.FieldError{Field: field, Message: msg})
}
