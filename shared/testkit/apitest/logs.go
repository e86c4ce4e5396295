package apitest

import (
	"bytes"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
)

// Logs captures everything logged through slog's default logger.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns the captured log.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// CaptureLogs makes slog's default a JSON logger into the returned buffer,
// at debug level so that nothing escapes the search.
func CaptureLogs() *Logs {
	l := &Logs{}
	slog.SetDefault(slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return l
}

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	phoneRE = regexp.MustCompile(`\+[0-9][0-9 ]{7,}`)
)

// Scan reports every remembered marker, email address or phone number found
// in the captured log, and how many lines and markers it searched.
func (l *Logs) Scan() (lines, searched int, found []string) {
	text := l.String()
	lines = strings.Count(text, "\n")
	ms := Markers()
	for _, m := range ms {
		if strings.Contains(text, m) {
			found = append(found, fmt.Sprintf("marker %q", m))
		}
	}
	for _, e := range emailRE.FindAllString(text, 5) {
		found = append(found, "email "+e)
	}
	for _, p := range phoneRE.FindAllString(text, 5) {
		found = append(found, "phone "+p)
	}
	return lines, len(ms), found
}
