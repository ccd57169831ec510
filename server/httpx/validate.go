package httpx

// Checker collects field errors so a request reports every bad field at once.
type Checker struct{ errs []FieldError }

// Check records message for field when ok is false.
func (v *Checker) Check(ok bool, field, message string) {
	if !ok {
		v.errs = append(v.errs, FieldError{Field: field, Message: message})
	}
}

// Add records a field error unconditionally.
func (v *Checker) Add(field, message string) { v.Check(false, field, message) }

// Err is nil when every check passed, else a 422 naming the fields.
func (v *Checker) Err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return Invalid(v.errs...)
}
