//go:build !linux

package main

import (
	"errors"
	"os/exec"
	"time"
)

func setProcAttrs(*exec.Cmd) {}

// procStatus needs Linux's /proc: memory figures read as 0 elsewhere.
func procStatus(int, string) (int64, error) {
	return 0, errors.New("memory figures need /proc (Linux)")
}

func procCPU(int) (time.Duration, error) { return 0, errors.New("CPU figures need /proc (Linux)") }

func selfCPU() time.Duration { return 0 }

func syncDisks() {}
