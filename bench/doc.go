// Command bench drives a real memoria binary over loopback HTTP and prints
// throughput, latency, memory and start-up figures next to their targets.
//
//	go run ./bench                    # builds ./memoria into a temp dir first
//	go run ./bench -bin ./memoria -duration 10s
//
// Every phase starts the binary afresh (with --log-level warn) on its own
// data directory: an empty one, or a copy of a directory that was loaded
// with -memos memos through the API. Client and server share the machine,
// so the figures include the client's CPU cost. See docs/benchmarks.md.
package main
