package app_test

import (
	"bytes"
	"testing"

	"github.com/memoria-app/memoria/bot/telegramtest"
)

// TestTelegramDownloadOutageLosesNothing: file downloads that keep failing
// for a while (Telegram's file server down, a flaky proxy) delay the photo;
// they never turn it into a memo without its file. Only a permanent refusal
// (file too big, gone) is reported as "not saved".
func TestTelegramDownloadOutageLosesNothing(t *testing.T) {
	ls := startLinked(t, "8000000010:outage")
	// More consecutive failures than the bot's attempts per file (8).
	ls.bot.FailNext(20, telegramtest.Fault{Kind: telegramtest.FaultBadGateway, Methods: []string{"download"}})
	img := pngBytes(4242)
	ls.bot.SendPhoto(ls.from, "through the outage", nil, img, "")
	ls.bot.SendText(ls.from, "after the photo")
	memos := ls.s.waitMemos(ls.user, 2)
	photo := memos[1]
	if photo.Content != "through the outage" || len(photo.Resources) != 1 {
		t.Fatalf("photo memo = %q with %d resources, want its caption and the photo", photo.Content, len(photo.Resources))
	}
	if got := ls.s.fileBytes(ls.user, photo.Resources[0]); !bytes.Equal(got, img) {
		t.Fatal("photo bytes differ")
	}
	if memos[0].Content != "after the photo" {
		t.Fatalf("newest memo = %q", memos[0].Content)
	}
}
