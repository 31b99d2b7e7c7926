package discreet

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable word for what went wrong. Only the HTTP layer maps codes
// to status codes.
type Code string

const (
	EInvalid         Code = "invalid_argument"
	ENotFound        Code = "not_found"
	EUnauthenticated Code = "unauthenticated"
	EPermission      Code = "permission_denied"
	EConflict        Code = "conflict"
	ETooLarge        Code = "too_large"
	EUnsupported     Code = "unsupported_media_type"
	EUnavailable     Code = "unavailable"
	ERateLimited     Code = "rate_limited"
	EInternal        Code = "internal"
)

// Error is the one error type of the domain. Message is safe to show the
// caller: it never names data the caller may not see.
type Error struct {
	Code    Code
	Message string
	// Field names the request field at fault, when there is one.
	Field string
	// RetryAfter is a hint for unavailable and rate_limited.
	RetryAfter time.Duration
	// Details carries structured extras (e.g. import line errors).
	Details any
	// Err is the cause, for logs only; never shown to callers.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError is an invalid_argument error that names the field at fault.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with code and message whose cause is err.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode is the code of err: that of the first *Error in its chain,
// EInternal for any other non-nil error, "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage is the caller-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
