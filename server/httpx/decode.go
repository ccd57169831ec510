package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
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
	return nil
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
		return Invalid(FieldError{Field: field, Message: fmt.Sprintf("must be %s", jsonKind(typ.Type.Kind().String()))})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if unq, uerr := strconv.Unquote(field); uerr == nil && unq != "" {
			field = unq
		}
		return Invalid(FieldError{Field: field, Message: "unknown field"})
	}
	var p *Problem
	if errors.As(err, &p) { // from a custom UnmarshalJSON
		return p
	}
	return BadRequest("malformed_json", "the request body could not be read as JSON")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}
