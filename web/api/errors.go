package api

// ErrorResponse is the body of every answer other than 2xx, as Flink's
// ErrorResponseBody: the server's own words for what went wrong.
type ErrorResponse struct {
	Errors []string `json:"errors"`
}
