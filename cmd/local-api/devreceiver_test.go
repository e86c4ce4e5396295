package main

import (
	"context"
	"encoding/json"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/lambda/app"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/webhooks/signature"
)

// TestDevReceiverVerifiesEachDelivery: the stand-in receiver marks a
// delivery signed with the development secret verified, or with the
// secret of an endpoint the development partner added, and one signed
// with another secret, or with its body changed, not.
func TestDevReceiverVerifiesEachDelivery(t *testing.T) {
	now := time.Now()
	deps, err := devdata.Build(context.Background(), app.Config{Now: func() time.Time { return now }}, devdata.Local{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	url := "http://127.0.0.1:3000/dev/webhooks"
	_, added, err := partners.NewAdmin(deps.Store, deps.Now, false).WithSealer(deps.Sealer).
		CreateEndpoint(context.Background(), "", devdata.PartnerID, partners.EndpointInput{URL: &url})
	if err != nil {
		t.Fatal(err)
	}
	h := devReceiver(deps.WebhookKeys, deps.Partners, func() time.Time { return now })
	other := signature.MustSecret("whsec_" + strings.Repeat("QUFB", 8))
	post := func(key signature.Key, id, signed, sent string) {
		req := httptest.NewRequest(http.MethodPost, devHooksPath, strings.NewReader(sent))
		signature.SetHeaders(req.Header, []signature.Key{key}, id, []byte(signed), now)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			t.Fatalf("%s: %d", id, rec.Code)
		}
	}
	body := `{"id":"evt_1","type":"webhook.test","data":{"message":"m"}}`
	post(signature.MustSecret(devdata.WebhookSecret), "evt_1", body, body)
	post(other, "evt_2", body, body)
	post(signature.MustSecret(devdata.WebhookSecret), "evt_3", body, strings.Replace(body, `"m"`, `"n"`, 1))
	post(signature.MustSecret(added), "evt_4", body, body)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, devHooksPath, nil))
	var list struct{ Deliveries []received }
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"evt_4": true, "evt_3": false, "evt_2": false, "evt_1": true}
	if len(list.Deliveries) != 4 || list.Deliveries[0].ID != "evt_4" || list.Deliveries[0].Type != "webhook.test" {
		t.Fatalf("deliveries %+v, want 4 newest first", list.Deliveries)
	}
	for _, d := range list.Deliveries {
		if d.Verified != want[d.ID] {
			t.Errorf("%s verified %v, want %v", d.ID, d.Verified, want[d.ID])
		}
	}
}
