// Command walk prints the packages whose code runs in one warm
// POST /api/partner/v2/users (the development partner, the memory store),
// with the number of code blocks each ran: the walk docs/ARCHITECTURE.md
// describes, counted. It must be built with coverage (make walk does):
//
//	go build -cover -covermode=atomic -coverpkg=./shared/... -o bin/walk ./bench/walk && bin/walk
package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/coverage"
	"sort"
	"strconv"
	"strings"

	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/lambda/app"
)

const module = "github.com/partner-identity/api/"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "walk:", err)
		os.Exit(1)
	}
}

func run() error {
	d, err := devdata.Build(context.Background(), app.Config{}, devdata.Local{Memory: true})
	if err != nil {
		return err
	}
	mux := devdata.Mux(d, nil)
	create := func(ext string) error {
		body := `{"externalUserId":"` + ext + `","type":"INDIVIDUAL","method":"EMAIL","identifier":"money@capa.fi","alias":"Satoshi Nakamoto"}`
		r := httptest.NewRequest(http.MethodPost, "/api/partner/v2/users", strings.NewReader(body))
		r.Header.Set("partner-api-key", devdata.APIKey)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			return fmt.Errorf("create-user answered %d", w.Code)
		}
		return nil
	}
	dir, err := os.MkdirTemp("", "walk")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// Counters after a first (cold) request, then after a second: the
	// difference is one warm request's.
	var counts [2]map[string]int
	for i := range counts {
		if err := create(fmt.Sprintf("walk-%d", i)); err != nil {
			return err
		}
		if counts[i], err = snapshot(filepath.Join(dir, strconv.Itoa(i))); err != nil {
			return err
		}
	}
	perPkg := map[string]int{}
	for block, n := range counts[1] {
		if n > counts[0][block] && !strings.HasPrefix(block, module+"bench/") {
			file, _, _ := strings.Cut(block, ":")
			perPkg[strings.TrimPrefix(filepath.Dir(file), module)]++
		}
	}
	pkgs := make([]string, 0, len(perPkg))
	for p := range perPkg {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	fmt.Println("packages run by one warm POST /api/partner/v2/users (blocks run):")
	for _, p := range pkgs {
		fmt.Printf("  %-28s %4d\n", p, perPkg[p])
	}
	fmt.Printf("%d packages (shared/devdata stands in for the Secrets Manager cache of the partner registry)\n", len(pkgs))
	return nil
}

// snapshot writes the counters so far to dir and reads them back as
// block -> count (go tool covdata textfmt).
func snapshot(dir string) (map[string]int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := coverage.WriteMetaDir(dir); err != nil {
		return nil, fmt.Errorf("%w (build with -cover -covermode=atomic: make walk)", err)
	}
	if err := coverage.WriteCountersDir(dir); err != nil {
		return nil, err
	}
	txt := dir + ".txt"
	if out, err := exec.Command("go", "tool", "covdata", "textfmt", "-i", dir, "-o", txt).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("covdata: %v: %s", err, out)
	}
	f, err := os.Open(txt)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			continue // the mode line
		}
		n, _ := strconv.Atoi(fields[2])
		m[fields[0]] += n
	}
	return m, sc.Err()
}
