package store

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockHolder names the process that holds the write lock of the database
// at path, from the kernel's table of POSIX locks (/proc/locks): SQLite's
// write lock is byte 120 of the -shm file in WAL mode, the RESERVED or
// PENDING byte of the file itself otherwise. It only reads /proc and
// stats the files: opening and closing them here would drop the locks
// this process's own connections hold on them. "" when it cannot tell.
func lockHolder(path string) string {
	for _, l := range []struct {
		file string
		byte int64
	}{
		{path + "-shm", 120},
		{path, 0x40000001},
		{path, 0x40000000},
	} {
		if pid := lockPID(l.file, l.byte); pid > 0 {
			return describeProcess(pid)
		}
	}
	return ""
}

// lockPID returns the process holding a POSIX write lock on byte off of
// file, or 0.
func lockPID(file string, off int64) int {
	fi, err := os.Stat(file)
	if err != nil {
		return 0
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	major := (st.Dev>>8)&0xfff | (st.Dev>>32)&^0xfff
	minor := st.Dev&0xff | (st.Dev>>12)&^0xff
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, st.Ino)
	f, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 1: POSIX  ADVISORY  WRITE 4242 08:01:1234567 120 120
		fs := strings.Fields(sc.Text())
		if len(fs) < 8 || fs[1] != "POSIX" || fs[3] != "WRITE" || fs[5] != want {
			continue
		}
		from, err1 := strconv.ParseInt(fs[6], 10, 64)
		to, err2 := int64(0), error(nil)
		if fs[7] == "EOF" {
			to = 1<<63 - 1
		} else {
			to, err2 = strconv.ParseInt(fs[7], 10, 64)
		}
		pid, err3 := strconv.Atoi(fs[4])
		if err1 == nil && err2 == nil && err3 == nil && from <= off && off <= to && pid > 0 {
			return pid
		}
	}
	return 0
}

// describeProcess is "process PID (its command line)", shortened.
func describeProcess(pid int) string {
	if pid == os.Getpid() {
		return fmt.Sprintf("another connection of this process (%d)", pid)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	cmd := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	if err != nil || cmd == "" {
		return fmt.Sprintf("process %d", pid)
	}
	if r := []rune(cmd); len(r) > 100 {
		cmd = string(r[:99]) + "…"
	}
	return fmt.Sprintf("process %d (%s)", pid, cmd)
}
