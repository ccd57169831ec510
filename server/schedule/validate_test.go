package schedule_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hubtalks/hubtalks/internal/testkit"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// The c3voc schedule schemas, as published (see testdata/c3voc/README.md).
var (
	c3vocJSONSchema = filepath.Join("testdata", "c3voc", "schema.json")
	c3vocXSD        = filepath.Join("testdata", "c3voc", "schedule.xml.xsd")
)

// frabJSONError is why body does not validate against c3voc's JSON schema
// (its own draft, formats asserted); nil when it does.
func frabJSONError(t *testing.T, body []byte) error {
	t.Helper()
	f, err := os.Open(c3vocJSONSchema)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("https://c3voc.de/schedule/schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("https://c3voc.de/schedule/schema.json")
	if err != nil {
		t.Fatalf("compile the c3voc schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return schema.Validate(inst)
}

// frabXMLError is why body does not validate against c3voc's XSD, with
// xmllint (libxml2); nil when it does.
func frabXMLError(t *testing.T, body []byte) error {
	t.Helper()
	cmd := exec.Command(testkit.Tool(t, "xmllint", "libxml2-utils"), "--noout", "--nonet", "--schema", c3vocXSD, "-")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("xmllint: %w\n%s", err, out)
	}
	return nil
}

func validateFrab(t *testing.T, env *testserver.Env) (jsonBody []byte) {
	t.Helper()
	jsonBody = testserver.Must(t, env.Get("/api/v1/schedule.json", ""), 200).Body
	if err := frabJSONError(t, jsonBody); err != nil {
		t.Errorf("schedule.json does not validate against the c3voc schema:\n%v\n%s", err, jsonBody)
	}
	xmlBody := testserver.Must(t, env.Get("/api/v1/schedule.xml", ""), 200).Body
	if err := frabXMLError(t, xmlBody); err != nil {
		t.Errorf("schedule.xml does not validate against the c3voc XSD:\n%v\n%s", err, xmlBody)
	}
	return jsonBody
}

// Both exports validate against c3voc's schemas: the usual fixture (every
// status, a control character in the abstracts) and edge cases (no
// speakers, no track, a CR and markup in the text, a talk longer than a
// day, an empty schedule).
func TestScheduleValidatesAgainstC3VOC(t *testing.T) {
	f := setup(t)
	start := time.Date(2026, 5, 1, 22, 0, 0, 0, time.UTC)
	if _, err := f.env.DB.Exec(`INSERT INTO talks (slug, title, abstract, starts_at, ends_at, status, location, tags, language)
		VALUES ('---', $1, $2, $3, $4, 'scheduled', ' ', '{""}', 'de'),
		       ('day-long', 'Ünïcödé & <b>bold</b>', '', $4, $5, 'scheduled', 'Hall "A" & B', '{Track,Other}', 'en')`,
		"Line one\r\nline two\rthree", "Abstract\r\nwith a CR\r and ]]> and \x0b\x1b.", start, start.Add(26*time.Hour), start.Add(30*time.Hour)); err != nil {
		t.Fatal(err)
	}
	jsonBody := validateFrab(t, f.env)
	if !strings.Contains(string(jsonBody), "Ünïcödé") {
		t.Errorf("the edge-case talks are not in schedule.json: %s", jsonBody)
	}
	validateFrab(t, testserver.New(t))
}

// The validators are not vacuous: a document with the field c3voc removed
// from Event (answers, additionalProperties: false) fails.
func TestC3VOCSchemaRefusesAnswers(t *testing.T) {
	f := setup(t)
	body := testserver.Must(t, f.env.Get("/api/v1/schedule.json", ""), 200).Body
	bad := bytes.Replace(body, []byte(`"attachments":[]`), []byte(`"attachments":[],"answers":[]`), 1)
	if bytes.Equal(bad, body) {
		t.Fatal("no event to add answers to")
	}
	if err := frabJSONError(t, body); err != nil {
		t.Fatalf("the fixture's schedule.json does not validate: %v", err)
	}
	if frabJSONError(t, bad) == nil {
		t.Error("a schedule.json with answers passed the c3voc schema")
	}
	xmlBody := testserver.Must(t, f.env.Get("/api/v1/schedule.xml", ""), 200).Body
	badXML := bytes.Replace(xmlBody, []byte("<title>"), []byte("<answers></answers><title>"), 1)
	if frabXMLError(t, badXML) == nil {
		t.Error("a schedule.xml with an unknown element passed the c3voc XSD")
	}
}
