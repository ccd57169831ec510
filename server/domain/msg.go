package domain

import "github.com/hubtalks/hubtalks/server/i18n/catalog"

// Msg is a message people read that holds values ("must be at most 200
// characters"): a message id of the server's catalogs (problem.*) and the
// values its placeholders read; a number that decides the wording is
// "Count" (the message then has plural forms). The English text is
// rendered from the English catalog where the error is made, and the error
// handler renders the message again in the request's language. A message
// without values is its English text alone, the catalog's word for word.
type Msg struct {
	ID   string
	Data map[string]any
}

// Say is message id of the catalogs with the values of its placeholders.
func Say(id string, data map[string]any) Msg { return Msg{ID: id, Data: data} }

// Count is message id whose wording follows n (its {{.Count}}), with any
// other values.
func Count(id string, n int, data map[string]any) Msg {
	d := map[string]any{"Count": n}
	for k, v := range data {
		d[k] = v
	}
	return Msg{ID: id, Data: d}
}

// In is m in locale.
func (m Msg) In(locale string) string { return catalog.Render(locale, m.ID, m.Data) }

// String is m in English.
func (m Msg) String() string { return m.In(catalog.Default) }

// Field is the field error of m.
func (m Msg) Field(field string) FieldError {
	return FieldError{Field: field, Message: m.String(), Msg: &m}
}
