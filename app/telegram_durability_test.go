package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/memoria-app/memoria/bot/telegramtest"
	v1 "github.com/memoria-app/memoria/gen/memoria/v1"
)

// burst is a queue of Telegram updates from one linked user and the memos
// they must become.
type burst struct {
	// want maps each expected memo's content to the SHA-256 of its
	// resources' bytes, in order.
	want map[string][]string
	last int64 // the last update id
}

// enqueueBurst queues n updates: texts, single photos and 3-photo albums
// (each album caption on its first photo), all with unique contents.
func enqueueBurst(b *telegramtest.Bot, from telegramtest.User, n int, rng *rand.Rand) burst {
	return enqueueBurstPrefixed(b, from, n, rng, "")
}

// enqueueBurstPrefixed is enqueueBurst with contents starting with prefix
// (for a second burst to the same user).
func enqueueBurstPrefixed(b *telegramtest.Bot, from telegramtest.User, n int, rng *rand.Rand, prefix string) burst {
	out := burst{want: map[string][]string{}}
	sum := func(p []byte) string { h := sha256.Sum256(p); return fmt.Sprintf("%x", h[:8]) }
	for i := 0; i < n; {
		switch k := rng.IntN(10); {
		case k < 7 || n-i < 3: // text
			content := fmt.Sprintf("%smessage %04d #burst", prefix, i)
			out.last = b.SendText(from, content).UpdateID
			out.want[content] = nil
			i++
		case k < 9: // photo
			content := fmt.Sprintf("%sphoto %04d", prefix, i)
			img := pngBytes(i)
			out.last = b.SendPhoto(from, content, nil, img, "").UpdateID
			out.want[content] = []string{sum(img)}
			i++
		default: // album of three
			content := fmt.Sprintf("%salbum %04d", prefix, i)
			var sums []string
			for j := 0; j < 3; j++ {
				img := pngBytes(100000 + i*3 + j)
				caption := ""
				if j == 0 {
					caption = content
				}
				out.last = b.SendPhoto(from, caption, nil, img, fmt.Sprintf("%sg%d", prefix, i)).UpdateID
				sums = append(sums, sum(img))
			}
			out.want[content] = sums
			i += 3
		}
	}
	return out
}

// checkBurst compares the user's memos with the burst: every expected memo
// exactly once, with exactly its resources, and nothing else.
func checkBurst(t *testing.T, url, token string, want burst) {
	t.Helper()
	s := &testServer{tb: t, URL: url}
	var memos []*v1.Memo
	page := ""
	for {
		resp, err := s.as(token).Memos.ListMemos(ctxT(t), connect.NewRequest(&v1.ListMemosRequest{PageSize: 1000, PageToken: page}))
		if err != nil {
			t.Fatalf("ListMemos: %v", err)
		}
		memos = append(memos, resp.Msg.Memos...)
		if page = resp.Msg.NextPageToken; page == "" {
			break
		}
	}
	seen := map[string]int{}
	bad := 0
	for _, m := range memos {
		seen[m.Content]++
		sums, ok := want.want[m.Content]
		if !ok {
			t.Errorf("unexpected memo %q", m.Content)
			bad++
			continue
		}
		if len(m.Resources) != len(sums) {
			t.Errorf("memo %q has %d resources, want %d", m.Content, len(m.Resources), len(sums))
			bad++
			continue
		}
		for i, r := range m.Resources {
			got := s.fileBytes(token, r)
			h := sha256.Sum256(got)
			if fmt.Sprintf("%x", h[:8]) != sums[i] {
				t.Errorf("memo %q resource %d has other bytes", m.Content, i)
				bad++
			}
		}
		if bad > 20 {
			t.Fatal("too many differences")
		}
	}
	var missing, dup int
	for c := range want.want {
		switch seen[c] {
		case 0:
			missing++
		case 1:
		default:
			dup++
			t.Errorf("memo %q stored %d times", c, seen[c])
		}
	}
	if missing > 0 || dup > 0 {
		t.Fatalf("of %d expected memos: %d missing, %d duplicated (%d memos stored)", len(want.want), missing, dup, len(memos))
	}
	t.Logf("all %d memos present exactly once with their resources", len(want.want))
}

// buildBinary builds the real memoria binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "memoria")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// process is the real binary running.
type process struct {
	cmd *exec.Cmd
	log *os.File
}

// startBinary runs the binary on a storage.
func startBinary(t *testing.T, bin, addr string, data storage) *process {
	t.Helper()
	return startBinaryArgs(t, bin, addr, data.Dir, data.dbFlags()...)
}

// startBinaryArgs is startBinary with more flags.
func startBinaryArgs(t *testing.T, bin, addr, data string, extra ...string) *process {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(data, "..", "memoria.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"--addr", addr, "--data", data, "--log-level", "warn"}, extra...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, log: logf}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("memoria did not start listening on %s", addr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *process) kill() {
	p.cmd.Process.Kill() // SIGKILL
	p.cmd.Wait()
	p.log.Close()
}

func (p *process) stop(t *testing.T) {
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("memoria exited with %v after SIGINT", err)
		}
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		t.Error("memoria did not stop on SIGINT")
	}
	p.log.Close()
}

// TestTelegramCrashes kills the real binary with SIGKILL at random points
// five times while it ingests 2,000 queued updates, restarting it each
// time; afterwards exactly the expected memos and resources exist.
func TestTelegramCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	bin := buildBinary(t)
	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "6000000001:CCcrash_test"
	tgBot := tg.AddBot(token, "crash_bot")
	tgBot.SetMaxBatch(37) // batches cut albums apart

	dir := t.TempDir()
	data := storageAt(t, filepath.Join(dir, "data"))
	addr := freeAddr(t)
	url := "http://" + addr
	p := startBinary(t, bin, addr, data)
	s := &testServer{tb: t, URL: url}
	_, admin := s.signUp("admin")
	_, user := s.createUser(admin, "alice")
	alice := telegramtest.User{ID: 424242, FirstName: "Alice"}
	s.linkTelegram(user, alice.ID)
	want := enqueueBurst(tgBot, alice, 2000, rng)
	s.setToken(admin, tg.URL()+"/bot"+token)

	// Five kill points spread at random over the whole burst: wait until
	// the bot has confirmed up to each (so kills land early, midway and
	// late, in batches and albums alike), then a random few ms more.
	first := want.last - 2000 + 1
	var points []int64
	for i := 0; i < 5; i++ {
		points = append(points, first+int64(rng.IntN(1900)))
	}
	slices.Sort(points)
	for kill, point := range points {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := tgBot.WaitConfirmed(ctx, point); err != nil {
			t.Fatalf("stalled before update %d: %d confirmed", point, tgBot.Confirmed())
		}
		cancel()
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		t.Logf("kill %d: %d of %d updates confirmed", kill+1, tgBot.Confirmed()-first+1, 2000)
		p.kill()
		p = startBinary(t, bin, addr, data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := tgBot.WaitConfirmed(ctx, want.last); err != nil {
		t.Fatalf("not every update was confirmed: %d of %d", tgBot.Confirmed(), want.last)
	}
	checkBurst(t, url, user, want)
	p.stop(t)
	logs, _ := os.ReadFile(filepath.Join(dir, "memoria.log"))
	if bytes.Contains(logs, []byte(strings.SplitN(token, ":", 2)[1])) {
		t.Error("the bot token appears in the logs")
	}
}

// TestTelegramFaults makes 20% of Bot API calls fail in every way the fake
// knows (429 with retry_after, 5xx with HTML bodies, dropped connections
// before and after handling, delays, 401) while 2,000 queued updates are
// ingested: all arrive exactly once.
func TestTelegramFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	tg := telegramtest.NewServer()
	defer tg.Close()
	const token = "6000000002:DDfault_test"
	tgBot := tg.AddBot(token, "fault_bot")
	tgBot.SetMaxBatch(50)
	s := startServer(t, fastBot)
	_, admin := s.signUp("admin")
	_, user := s.createUser(admin, "alice")
	alice := telegramtest.User{ID: 515151, FirstName: "Alice"}
	s.linkTelegram(user, alice.ID)
	want := enqueueBurst(tgBot, alice, 2000, rng)
	tgBot.SetFaultSeed(seed)
	tgBot.SetFaultRate(0.2,
		telegramtest.Fault{Kind: telegramtest.FaultTooManyRequests, RetryAfter: 1},
		telegramtest.Fault{Kind: telegramtest.FaultInternalError},
		telegramtest.Fault{Kind: telegramtest.FaultBadGateway},
		telegramtest.Fault{Kind: telegramtest.FaultDropConnection},
		telegramtest.Fault{Kind: telegramtest.FaultDropResponse},
		telegramtest.Fault{Kind: telegramtest.FaultDelay, Delay: 50 * time.Millisecond},
		telegramtest.Fault{Kind: telegramtest.FaultUnauthorized},
	)
	s.setToken(admin, tg.URL()+"/bot"+token)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := tgBot.WaitConfirmed(ctx, want.last); err != nil {
		t.Fatalf("not every update was confirmed: %d of %d", tgBot.Confirmed(), want.last)
	}
	tgBot.ClearFaults()
	faults := 0
	for _, c := range tgBot.Calls() {
		if c.Fault != telegramtest.FaultNone {
			faults++
		}
	}
	t.Logf("%d of %d Bot API calls failed", faults, len(tgBot.Calls()))
	checkBurst(t, s.URL, user, want)
}
