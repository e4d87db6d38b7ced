package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
	"github.com/memoria-app/memoria/gen/memoria/v1/memoriav1connect"
)

// The Telegram photo phase: the real binary ingests photos queued at the
// fake Bot API (run in this process), and the server's peak RSS is
// reported. Downloads stream into staging files, so the peak must not grow
// with the photos' size or number.
const (
	photoCount = 1000
	photoBytes = 1 << 20
	photoPhase = "Telegram: 1,000 queued 1 MiB photos"
)

func (b *bench) photosPhase(string) error {
	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "7100000001:photo_bench"
	tgBot := tg.AddBot(token, "photo_bench_bot")
	from := telegramtest.User{ID: 71001, FirstName: "Bench"}

	s, admin, err := b.phaseServer("")
	if err != nil {
		return err
	}
	fmt.Printf("%s (server pid %d)\n", photoPhase, s.cmd.Process.Pid)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	opts := []connect.ClientOption{connect.WithProtoJSON(), connect.WithInterceptors(bearer(admin))}
	settings := memoriav1connect.NewUserSettingServiceClient(http.DefaultClient, s.url, opts...)
	system := memoriav1connect.NewSystemSettingServiceClient(http.DefaultClient, s.url, opts...)
	memos := memoriav1connect.NewMemoServiceClient(http.DefaultClient, s.url, opts...)
	if _, err := settings.UpdateUserSetting(ctx, connect.NewRequest(&v1.UpdateUserSettingRequest{
		Setting: &v1.UserSetting{TelegramUserId: from.ID}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"telegram_user_id"}},
	})); err != nil {
		s.stop()
		return fmt.Errorf("link Telegram id: %w", err)
	}

	// Queue the photos before the bot starts, as after an outage.
	photo := make([]byte, photoBytes)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range photo {
		photo[i] = byte(rng.Uint32())
	}
	var last int64
	for i := range photoCount {
		photo[0], photo[1] = byte(i), byte(i>>8) // each photo its own bytes
		last = tgBot.SendPhoto(from, fmt.Sprintf("photo %d", i), nil, photo, "").UpdateID
	}
	hwm0, _ := procStatus(s.cmd.Process.Pid, "VmHWM")
	cpu := b.cpuMeter(s)
	t0 := time.Now()
	if _, err := system.UpdateSystemSetting(ctx, connect.NewRequest(&v1.UpdateSystemSettingRequest{
		Setting: &v1.SystemSetting{TelegramBotToken: tg.URL() + "/bot" + token}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"telegram_bot_token"}},
	})); err != nil {
		s.stop()
		return fmt.Errorf("set token: %w", err)
	}
	if err := tgBot.WaitConfirmed(ctx, last); err != nil {
		s.stop()
		return fmt.Errorf("confirmed %d of %d updates: %w; log: %s", tgBot.Confirmed(), last, err, s.stderr.String())
	}
	el := time.Since(t0)
	cpu(photoPhase, photoCount)
	resp, err := memos.ListMemos(ctx, connect.NewRequest(&v1.ListMemosRequest{PageSize: 1000}))
	if err != nil || len(resp.Msg.GetMemos()) != photoCount {
		s.stop()
		return fmt.Errorf("ListMemos after ingestion: %d memos, %v", len(resp.Msg.GetMemos()), err)
	}
	hwm, _ := procStatus(s.cmd.Process.Pid, "VmHWM")
	b.add(result{group: photoPhase, name: "ingestion", value: float64(photoCount) / el.Seconds(), unit: "updates/s"})
	b.add(result{group: photoPhase, name: "peak RSS before the bot started", value: float64(hwm0) / 1024, unit: "MiB"})
	mib := float64(hwm) / 1024
	b.add(result{group: photoPhase, name: "peak RSS while ingesting (VmHWM)", value: mib, unit: "MiB", target: "≤ 64 MiB", met: ptr(mib <= 64)})
	err = s.stop()
	return err
}
