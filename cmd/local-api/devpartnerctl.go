package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/partner-identity/api/cmd/partnerctl/cli"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/lambda/app"
	"github.com/partner-identity/api/shared/webhooks/delivery"
)

const devPartnerctlPattern = "POST " + cli.LocalPath

// devPartnerctl runs partnerctl's commands (partnerctl -local) in make
// run's process, on its store: the same commands, the same partners.Admin
// as against a deployed stack's table. Only from this machine.
func devPartnerctl(deps *app.Deps) http.Handler {
	admin := partners.NewAdmin(deps.Store, deps.Now, false).WithSealer(deps.Sealer).WithURLCheck(delivery.Policy{AllowLoopback: true}.URLCheck(nil))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || !net.ParseIP(host).IsLoopback() {
			http.Error(w, "partnerctl: only from this machine", http.StatusForbidden)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" { // a page's form cannot send it without a preflight
			http.Error(w, "partnerctl: Content-Type must be application/json", http.StatusUnsupportedMediaType)
			return
		}
		var req cli.Request
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || req.Actor == "" {
			http.Error(w, "partnerctl: a request is {\"args\":[...],\"actor\":\"...\"}", http.StatusBadRequest)
			return
		}
		readFile := func(name string) ([]byte, error) {
			if b, ok := req.Files[name]; ok {
				return b, nil
			}
			return nil, errors.New("not sent")
		}
		var out bytes.Buffer
		if err := cli.Run(r.Context(), req.Args, admin, req.Actor, readFile, &out); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = w.Write(out.Bytes())
	})
}
