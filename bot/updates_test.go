package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

func TestDecodeUpdate(t *testing.T) {
	cases := map[string]struct {
		raw         string
		wantSkip    bool
		wantID      int64
		content     string
		files       []string // name|mime
		unsupported string
		edited      bool
		command     string // command|bot|args
	}{
		"text": {
			raw:     `{"update_id":7,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"hi **there**"}}`,
			wantID:  7,
			content: "hi **there**",
		},
		"formatted text": {
			raw:     `{"update_id":8,"message":{"message_id":2,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"bold","entities":[{"type":"bold","offset":0,"length":4}]}}`,
			wantID:  8,
			content: "**bold**",
		},
		"photo picks the largest size wherever it is": {
			raw: `{"update_id":9,"message":{"message_id":3,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"caption":"cap",
				"photo":[{"file_id":"small","file_unique_id":"s","width":90,"height":90,"file_size":1000},{"file_id":"big","file_unique_id":"b","width":1280,"height":1280,"file_size":90000},{"file_id":"mid","file_unique_id":"m","width":320,"height":320,"file_size":9000}]}}`,
			wantID:  9,
			content: "cap",
			files:   []string{"photo_b.jpg|image/jpeg"},
		},
		"document keeps name and type": {
			raw:    `{"update_id":10,"message":{"message_id":4,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"document":{"file_id":"d","file_unique_id":"du","file_name":"report.pdf","mime_type":"application/pdf","file_size":10}}}`,
			wantID: 10,
			files:  []string{"report.pdf|application/pdf"},
		},
		"voice": {
			raw:    `{"update_id":11,"message":{"message_id":5,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"voice":{"file_id":"v","file_unique_id":"vu","duration":3}}}`,
			wantID: 11,
			files:  []string{"voice_vu.ogg|audio/ogg"},
		},
		"sticker is unsupported": {
			raw:         `{"update_id":12,"message":{"message_id":6,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"sticker":{"file_id":"s","file_unique_id":"su","type":"regular","width":1,"height":1,"is_animated":false,"is_video":false}}}`,
			wantID:      12,
			unsupported: "stickers",
		},
		"forwarded from a channel": {
			raw:     `{"update_id":13,"message":{"message_id":7,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"news","forward_origin":{"type":"channel","date":1,"chat":{"id":-100,"type":"channel","title":"Daily","username":"daily"},"message_id":42}}}`,
			wantID:  13,
			content: "Forwarded from [Daily](https://t.me/daily/42)\n\nnews",
		},
		"edited message is an edit": {
			raw:     `{"update_id":14,"edited_message":{"message_id":7,"date":1,"edit_date":2,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"x"}}`,
			wantID:  14,
			content: "x",
			edited:  true,
		},
		"command with a bot name and arguments": {
			raw:     `{"update_id":19,"message":{"message_id":9,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"/Search@memoria_bot  two words","entities":[{"type":"bot_command","offset":0,"length":19}]}}`,
			wantID:  19,
			content: "/Search@memoria_bot  two words",
			command: "search|memoria_bot|two words",
		},
		"slash text that is no command entity": {
			raw:     `{"update_id":20,"message":{"message_id":10,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"/etc/hosts is a file","entities":[{"type":"code","offset":0,"length":10}]}}`,
			wantID:  20,
			content: "`/etc/hosts` is a file",
		},
		"NUL is dropped (the database cannot store it), after the entities are placed": {
			raw:     `{"update_id":21,"message":{"message_id":11,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"a\u0000b c","entities":[{"type":"bold","offset":4,"length":1}],"forward_origin":{"type":"user","date":1,"sender_user":{"id":9,"is_bot":false,"first_name":"B\u0000o"}}}}`,
			wantID:  21,
			content: "Forwarded from Bo\n\nab **c**",
		},
		"unknown update kind is skipped": {
			raw:      `{"update_id":15,"something_new":{"x":1}}`,
			wantID:   15,
			wantSkip: true,
		},
		"undecodable update keeps its id": {
			raw:      `{"update_id":16,"message":{"message_id":"not a number"}}`,
			wantID:   16,
			wantSkip: true,
		},
		"channel post without sender is skipped": {
			raw:      `{"update_id":17,"channel_post":{"message_id":1,"date":1,"chat":{"id":-1,"type":"channel"},"text":"x"}}`,
			wantID:   17,
			wantSkip: true,
		},
		"entities out of range do not break the text": {
			raw:     `{"update_id":18,"message":{"message_id":8,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"abc","entities":[{"type":"bold","offset":2,"length":99},{"type":"italic","offset":-4,"length":2}]}}`,
			wantID:  18,
			content: "", // checked below: visible text kept
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			in := decodeUpdate(json.RawMessage(c.raw))
			if in.updateID != c.wantID {
				t.Fatalf("update id = %d, want %d", in.updateID, c.wantID)
			}
			if (in.message == nil) != c.wantSkip {
				t.Fatalf("skipped = %v (%s), want %v", in.message == nil, in.skip, c.wantSkip)
			}
			if c.wantSkip {
				return
			}
			if in.edited != c.edited {
				t.Errorf("edited = %v, want %v", in.edited, c.edited)
			}
			if got := in.command + "|" + in.commandBot + "|" + in.args; c.command != "" && got != c.command || c.command == "" && in.command != "" {
				t.Errorf("command = %q, want %q", got, c.command)
			}
			if name == "entities out of range do not break the text" {
				if !strings.Contains(strings.ReplaceAll(strings.ReplaceAll(in.content, "*", ""), "_", ""), "abc") {
					t.Fatalf("content %q lost the text", in.content)
				}
				return
			}
			if in.content != c.content {
				t.Fatalf("content = %q, want %q", in.content, c.content)
			}
			var files []string
			for _, f := range in.files {
				files = append(files, f.name+"|"+f.mime)
			}
			if strings.Join(files, ",") != strings.Join(c.files, ",") {
				t.Fatalf("files = %v, want %v", files, c.files)
			}
			if in.unsupported != c.unsupported {
				t.Fatalf("unsupported = %q, want %q", in.unsupported, c.unsupported)
			}
		})
	}
}

func TestLargestPhotoUsesSizeFields(t *testing.T) {
	sizes := []gotgbot.PhotoSize{
		{FileId: "a", Width: 800, Height: 800, FileSize: 50},
		{FileId: "b", Width: 100, Height: 100, FileSize: 60},
		{FileId: "c", Width: 1000, Height: 1000, FileSize: 60},
	}
	p, ok := largestPhoto(sizes)
	if !ok || p.FileId != "c" {
		t.Fatalf("largest = %q, want c (most bytes, then most pixels)", p.FileId)
	}
	if _, ok := largestPhoto(nil); ok {
		t.Fatal("no sizes must give no photo")
	}
}

func TestDecodeCallbackQuery(t *testing.T) {
	raw := `{"update_id":30,"callback_query":{"id":"cb1","from":{"id":5,"is_bot":false,"first_name":"A"},"chat_instance":"x","data":"1:pin:3",
		"message":{"message_id":11,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":99,"is_bot":true,"first_name":"B"},"text":"✅ Saved\nPrivate"}}}`
	in := decodeUpdate(json.RawMessage(raw))
	cb := in.callback
	if in.message != nil || cb == nil || cb.id != "cb1" || cb.fromID != 5 || cb.data != "1:pin:3" || cb.chatID != 5 || cb.messageID != 11 || !strings.HasPrefix(cb.text, "✅ Saved") {
		t.Fatalf("callback = %+v (message %v)", cb, in.message)
	}
}

func TestDescribeKeepsTheURLOut(t *testing.T) {
	err := fmt.Errorf("failed to execute POST request to getMe: %w", &url.Error{Op: "Post", URL: "http://h/bot123:SECRET/getMe", Err: errors.New("dial tcp: connection refused")})
	if got := describe(err); strings.Contains(got, "SECRET") || !strings.Contains(got, "connection refused") {
		t.Fatalf("describe = %q", got)
	}
}
