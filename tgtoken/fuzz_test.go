package tgtoken

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse checks Parse's properties on arbitrary input: it never panics;
// a success has a token that matches the grammar and URLs that rebuild the
// input; a failure is one of the fixed messages, never a copy of the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", token, "1:a", "http://proxy.test.com:8081/somepath/bot" + token,
		"https://h.test/bot1:a", "http://h.test/bot1:a/", "http://h.test/?x=/bot1:a",
		"9223372036854775808:a", "http://[::1]:1/bot1:a", "https://u:p@h/bot1:_-",
	} {
		f.Add(s)
	}
	messages := allMessages()
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			if errors.Is(err, ErrEmpty) != (s == "") {
				t.Fatalf("ErrEmpty = %v for %q", errors.Is(err, ErrEmpty), s)
			}
			if s != "" && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if !messages[err.Error()] {
				t.Fatalf("error %q is not one of the fixed messages: it may quote the input", err)
			}
			if Redact(s) != "" && Redact(s) != "<redacted>" {
				t.Fatalf("Redact of an invalid value = %q", Redact(s))
			}
			return
		}
		if !tokenGrammar(e.Token) {
			t.Fatalf("token %q does not match the grammar", e.Token)
		}
		digits, _, _ := strings.Cut(e.Token, ":")
		if id, err := strconv.ParseInt(digits, 10, 64); err != nil || id != e.BotID {
			t.Fatalf("BotID %d does not match token %q", e.BotID, e.Token)
		}
		if e.FileURL != e.APIURL+"/file" {
			t.Fatalf("FileURL %q is not APIURL %q + /file", e.FileURL, e.APIURL)
		}
		// The URLs rebuild the input.
		if s == e.Token {
			if e.APIURL != DefaultAPIURL {
				t.Fatalf("plain token with APIURL %q", e.APIURL)
			}
		} else if got := strings.TrimSuffix(e.MethodURL("getMe"), "/getMe"); got != s {
			t.Fatalf("MethodURL does not rebuild the proxy URL: %q vs %q", got, s)
		}
		i := strings.LastIndex(e.MethodURL("m"), "/bot")
		wantFile := e.MethodURL("m")[:i] + "/file" + e.MethodURL("m")[i:len(e.MethodURL("m"))-len("m")] + "p/q.jpg"
		if got := e.FileURLFor("p/q.jpg"); got != wantFile {
			t.Fatalf("FileURLFor = %q, want %q", got, wantFile)
		}
		again, err := Parse(s)
		if err != nil || again != e {
			t.Fatalf("Parse is not deterministic")
		}
		// The secret is replaced, whatever the prefix holds.
		if r := Redact(s); !strings.HasSuffix(r, "bot"+digits+":<redacted>") && r != digits+":<redacted>" {
			t.Fatalf("Redact(%q) = %q", s, r)
		}
		if r := e.String(); r != Redact(s) {
			t.Fatalf("String() = %q, Redact = %q", r, Redact(s))
		}
	})
}

func tokenGrammar(s string) bool {
	digits, secret, ok := strings.Cut(s, ":")
	if !ok || digits == "" || secret == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	for _, c := range secret {
		if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", c) {
			return false
		}
	}
	return true
}

// allMessages lists every message Parse can return.
func allMessages() map[string]bool {
	hints := []string{hintUTF8, hintSpace, hintBotID, hintScheme, hintHost, hintPort, hintQuery, hintURLSuffix, hintURL, hintToken}
	m := map[string]bool{ErrEmpty.Error(): true}
	for _, h := range hints {
		m[invalid(h).Error()] = true
		m[invalid(hintURLSuffix+"; "+h).Error()] = true
	}
	return m
}

func TestErrorMessagesAreFixed(t *testing.T) {
	// allMessages must not be trivially permissive: a message quoting input
	// is not in it.
	if allMessages()[invalid("1:abc").Error()] {
		t.Fatal("allMessages accepts a message with arbitrary text")
	}
}
