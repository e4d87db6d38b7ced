package rules

import (
	"strings"
	"testing"
)

func TestValidateTelegramBotToken(t *testing.T) {
	const secret = "AAFD39kkdpWt3ywyRZergyOLMaJhac60qc"
	ok := map[string]string{
		"empty disables the bot": "",
		"bot token":              "4839574812:" + secret,
		"short token":            "1:a",
		"token with _ and -":     "123:a_b-C",
		"proxy url":              "http://proxy.test.com:8081/somepath/bot4839574812:" + secret,
		"https proxy no path":    "https://proxy.test.com/bot4839574812:" + secret,
	}
	for name, in := range ok {
		t.Run(name, func(t *testing.T) {
			if err := ValidateTelegramBotToken(in); err != nil {
				t.Fatalf("ValidateTelegramBotToken(%q) = %v", in, err)
			}
		})
	}
	bad := map[string]struct {
		in   string
		hint string
	}{
		"no colon":              {"4839574812" + secret, "a token is digits, a colon"},
		"letters before colon":  {"abc:" + secret, "a token is digits, a colon"},
		"nothing after colon":   {"4839574812:", "a token is digits, a colon"},
		"space inside":          {"4839574812:" + secret + " x", "spaces or line breaks"},
		"newline":               {"4839574812:" + secret + "\n", "spaces or line breaks"},
		"bad character":         {"4839574812:" + secret + "!", "a token is digits, a colon"},
		"ftp proxy":             {"ftp://proxy.test.com/bot4839574812:" + secret, "http:// or https://"},
		"proxy without /bot":    {"http://proxy.test.com/4839574812:" + secret, `must end in "/bot"`},
		"proxy with query":      {"http://proxy.test.com/bot4839574812:" + secret + "?x=" + secret, "query"},
		"proxy without host":    {"http:///bot4839574812:" + secret, "no host"},
		"invalid utf8":          {"4839574812:" + secret + "\xff", "not valid UTF-8"},
		"secret only":           {secret, "a token is digits, a colon"},
		"id too large":          {"99999999999999999999:" + secret, "too large"},
		"proxy with bad port":   {"http://proxy.test.com:99999/bot4839574812:" + secret, "port"},
		"token with slash part": {"4839574812:" + secret + "/x", "http:// or https://"},
	}
	for name, tt := range bad {
		t.Run(name, func(t *testing.T) {
			err := ValidateTelegramBotToken(tt.in)
			if err == nil {
				t.Fatalf("ValidateTelegramBotToken(%q) = nil, want an error", tt.in)
			}
			msg := err.Error()
			if ErrorCode(err) != CodeInvalidArgument {
				t.Errorf("code = %v, want InvalidArgument", ErrorCode(err))
			}
			if !strings.HasPrefix(msg, "telegram_bot_token: ") {
				t.Errorf("message %q does not name the field", msg)
			}
			for _, form := range []string{"bot token like", `proxy URL ending in "/bot<token>"`} {
				if !strings.Contains(msg, form) {
					t.Errorf("message %q does not say which form is expected (%q)", msg, form)
				}
			}
			if !strings.Contains(msg, tt.hint) {
				t.Errorf("message %q lacks the hint %q", msg, tt.hint)
			}
			for _, leak := range []string{secret, secret[:8], "4839574812", "proxy.test.com", "99999"} {
				if strings.Contains(msg, leak) {
					t.Errorf("message %q echoes the input (%q)", msg, leak)
				}
			}
		})
	}
}
