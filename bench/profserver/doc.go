// Command profserver is memoria's main.go plus a CPU profile, for finding
// what limits the figures of `go run ./bench`:
//
//	go build -o /tmp/profserver ./bench/profserver
//	MEMORIA_CPUPROFILE_DIR=/tmp/prof go run ./bench -bin /tmp/profserver -only "CreateMemo gRPC c=16 empty"
//	go tool pprof -top /tmp/profserver /tmp/prof/cpu-*.out
//
// It takes the flags the bench passes (--addr, --data, --log-level) and
// writes <dir>/cpu-<pid>.out when it stops.
package main
