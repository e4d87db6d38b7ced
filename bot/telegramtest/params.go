package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// request is a method call's parameters, decoded from any of the three
// encodings the Bot API accepts, plus the query string.
type request struct {
	params      map[string]string
	files       map[string]UploadedFile
	contentType string
}

// maxRequest bounds what the fake reads; Telegram accepts uploads up to 50 MB.
const maxRequest = 64 << 20

// parseRequest reads the query string and the body: application/json (an
// object), application/x-www-form-urlencoded or multipart/form-data, as
// https://core.telegram.org/bots/api#making-requests describes. JSON values
// that are not strings are kept as JSON text, which is how a form carries
// them.
func parseRequest(r *http.Request) (request, error) {
	req := request{params: map[string]string{}, files: map[string]UploadedFile{}}
	for k, v := range r.URL.Query() {
		req.params[k] = v[0]
	}
	if r.Body == nil || r.Body == http.NoBody || r.Header.Get("Content-Type") == "" && r.ContentLength == 0 {
		return req, nil
	}
	mediaType, mparams, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mediaType = ""
	}
	req.contentType = mediaType
	body := http.MaxBytesReader(nil, r.Body, maxRequest)
	switch mediaType {
	case "application/json":
		raw, err := io.ReadAll(body)
		if err != nil {
			return req, err
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			return req, nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return req, errors.New("can't parse JSON object")
		}
		for k, v := range obj {
			var s string
			switch {
			case bytes.Equal(v, []byte("null")):
				// Telegram treats null as absent.
			case json.Unmarshal(v, &s) == nil:
				req.params[k] = s
			default:
				var compact bytes.Buffer
				json.Compact(&compact, v)
				req.params[k] = compact.String()
			}
		}
	case "application/x-www-form-urlencoded":
		r.Body = body
		if err := r.ParseForm(); err != nil {
			return req, fmt.Errorf("can't parse form: %v", err)
		}
		for k, v := range r.PostForm {
			req.params[k] = v[0]
		}
	case "multipart/form-data":
		if mparams["boundary"] == "" {
			return req, errors.New("multipart body without boundary")
		}
		r.Body = body
		if err := r.ParseMultipartForm(maxRequest); err != nil {
			return req, fmt.Errorf("can't parse multipart form: %v", err)
		}
		for k, v := range r.MultipartForm.Value {
			req.params[k] = v[0]
		}
		for k, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err != nil {
				return req, err
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return req, err
			}
			req.files[k] = UploadedFile{Name: fhs[0].Filename, Data: data}
		}
		r.MultipartForm.RemoveAll()
	default:
		// Telegram ignores bodies it cannot read; so does the fake.
	}
	// Read to the body's end, past what the parsers needed (a chunked
	// body's terminator can arrive after the multipart's final boundary):
	// net/http watches the connection for the client going away only once
	// the body has been read to its end, and a long poll whose client
	// cancelled must end at once, not at its timeout.
	if _, err := io.Copy(io.Discard, body); err != nil {
		return req, err
	}
	return req, nil
}

// intParam reads an integer parameter. ok is false when it is absent.
func (req request) intParam(name string) (n int64, ok bool, err error) {
	s, ok := req.params[name]
	if !ok || s == "" {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("invalid %s specified", name)
	}
	return n, true, nil
}

func (req request) boolParam(name string) bool {
	b, _ := strconv.ParseBool(req.params[name])
	return b
}
