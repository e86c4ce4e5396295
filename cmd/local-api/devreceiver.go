package main

import (
	"encoding/json"
	"github.com/partner-identity/api/shared/devdata"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/http/httpx"
	"github.com/partner-identity/api/shared/kit/wire"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// Where the local runner receives the development partner's webhooks when
// no -webhook-url is given, and lists what it received.
const (
	devHooksPattern     = "POST /dev/webhooks"
	devHooksListPattern = "GET /dev/webhooks"
	devHooksPath        = "/dev/webhooks"
	// devHooksKept is how many deliveries the list keeps, newest first.
	devHooksKept = 50
)

// received is one delivery the stand-in receiver got.
type received struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Timestamp  string `json:"webhookTimestamp"`
	Verified   bool   `json:"verified"`
	Scrubbed   bool   `json:"personalDataRemoved"`
	ReceivedAt string `json:"receivedAt"`
}

// devReceiver stands in for the development partner's webhook endpoints
// in the local runner: it verifies each delivery's Standard Webhooks
// signature with the secrets of the development partner's endpoints (its
// first, then each it added: one pointed here verifies too), answers 204,
// and lists the newest deliveries (GET) by id and type, never their data.
// It is never deployed.
func devReceiver(secrets signature.Keyring, dir partners.Lookup, now func() time.Time) http.Handler {
	var mu sync.Mutex
	var got []received
	mux := http.NewServeMux()
	mux.HandleFunc(devHooksPattern, func(w http.ResponseWriter, r *http.Request) {
		body, bad := httpx.ReadRaw(r)
		if bad != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rec := received{ID: r.Header.Get(signature.HeaderID), Timestamp: r.Header.Get(signature.HeaderTimestamp), ReceivedAt: wire.Time(now())}
		endpoints := []string{domain.DefaultEndpointID}
		if p, err := dir.Partner(r.Context(), devdata.PartnerID); err == nil {
			for _, e := range p.WebhookEndpoints {
				endpoints = append(endpoints, e.ID)
			}
		}
		for _, e := range endpoints {
			keys, err := secrets.For(r.Context(), devdata.PartnerID, e)
			if err != nil {
				continue
			}
			for _, key := range keys {
				if signature.Verify(key, r.Header, body, now()) == nil {
					rec.Verified = true
				}
			}
		}
		var ev struct {
			Type     string `json:"type"`
			Scrubbed bool   `json:"personalDataRemoved"`
		}
		_ = json.Unmarshal(body, &ev)
		rec.Type, rec.Scrubbed = ev.Type, ev.Scrubbed
		mu.Lock()
		got = append([]received{rec}, got[:min(len(got), devHooksKept-1)]...)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc(devHooksListPattern, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		list := slices.Clone(got)
		mu.Unlock()
		if list == nil {
			list = []received{}
		}
		httpx.WriteJSON(w, http.StatusOK, "application/json", map[string]any{"deliveries": list})
	})
	return mux
}
