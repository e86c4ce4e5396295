package main

import (
	"bytes"
	"context"
	"errors"
	"github.com/partner-identity/api/shared/devdata"
	"github.com/partner-identity/api/shared/lambda/dispatch"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partner-identity/api/client"
	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/lambda/app"
)

// hook is one webhook POST the partner's server received.
type hook struct {
	header http.Header
	body   []byte
}

type webhookReceiver struct {
	mu   sync.Mutex
	got  []hook
	seen chan struct{}
}

func (r *webhookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, hook{req.Header.Clone(), body})
	r.mu.Unlock()
	select {
	case r.seen <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusNoContent)
}

// waitFor returns the deliveries once n have come, or fails after a while.
func (r *webhookReceiver) waitFor(t *testing.T, n int) []hook {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		r.mu.Lock()
		got := append([]hook(nil), r.got...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.seen:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%d webhook deliveries after 30s, want %d", len(got), n)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestPartnerFlowThroughTheGeneratedClient drives the whole partner flow
// through the client generated from docs/openapi.yaml (package client)
// against the local API, as make run serves it, with the development
// partner's webhooks delivered to a partner server that verifies them with
// client.VerifyWebhook.
func TestPartnerFlowThroughTheGeneratedClient(t *testing.T) {
	receiver := &webhookReceiver{seen: make(chan struct{}, 1)}
	hooks := httptest.NewServer(receiver)
	defer hooks.Close()
	deps, err := devdata.Build(context.Background(), app.Config{WebhookAllowHTTP: true}, devdata.Local{Memory: true, WebhookURL: hooks.URL + "/hooks"})
	if err != nil {
		t.Fatal(err)
	}
	dispatcher := dispatch.New(deps)
	var srv *httptest.Server
	srv = httptest.NewServer(handler(deps, []string{"*"}, func() string { return srv.URL }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go deliverOutbox(ctx, dispatcher, deps.Store.(*memstore.Store))

	partner, err := client.NewClientWithResponses(srv.URL, client.WithRequestEditorFn(client.PartnerAPIKey(devdata.APIKey)))
	if err != nil {
		t.Fatal(err)
	}
	status := func(step string, got, want int, body []byte) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: status %d, want %d: %s", step, got, want, body)
		}
	}

	// Create the user, replay the request, and conflict with it.
	email, method := "flow@example.com", client.CreateUserRequestMethodEMAIL
	create := client.CreateUserJSONRequestBody{ExternalUserId: "flow-user-1", Type: client.CreateUserRequestTypeINDIVIDUAL, Method: &method, Identifier: &email}
	created, err := partner.CreateUserWithResponse(ctx, create)
	if err != nil {
		t.Fatal(err)
	}
	status("create", created.StatusCode(), 201, created.Body)
	user := created.JSON201.Data
	if user.ExternalUserId != "flow-user-1" || user.KycStatus != client.KycStatusNOTSTARTED || user.Identifier == nil || *user.Identifier != email {
		t.Fatalf("created %+v", user)
	}
	replay, err := partner.CreateUserWithResponse(ctx, create)
	if err != nil {
		t.Fatal(err)
	}
	status("replay", replay.StatusCode(), 200, replay.Body)
	if replay.Headers200.IdempotentReplayed != "true" || !bytes.Equal(replay.Body, created.Body) || replay.JSON200.Data.UserId != user.UserId {
		t.Fatalf("replay: header %q, body %s", replay.Headers200.IdempotentReplayed, replay.Body)
	}
	conflicting := create
	conflicting.Type = client.CreateUserRequestTypeBUSINESS
	conflict, err := partner.CreateUserWithResponse(ctx, conflicting)
	if err != nil {
		t.Fatal(err)
	}
	status("conflict", conflict.StatusCode(), 409, conflict.Body)
	if conflict.JSON409.Error.Code != client.EXTERNALUSERIDCONFLICT {
		t.Fatalf("conflict: %s", conflict.Body)
	}
	invalid, err := partner.CreateUserWithResponse(ctx, client.CreateUserJSONRequestBody{ExternalUserId: "flow-user-2", Type: "PERSON"})
	if err != nil {
		t.Fatal(err)
	}
	status("invalid", invalid.StatusCode(), 400, invalid.Body)
	if d := invalid.JSON400.Error.Details; d == nil || len(*d) != 1 || (*d)[0].Field != "type" {
		t.Fatalf("invalid: %s", invalid.Body)
	}

	// Read it back both ways.
	found, err := partner.FindUserByExternalIdWithResponse(ctx, &client.FindUserByExternalIdParams{ExternalUserId: "flow-user-1"})
	if err != nil {
		t.Fatal(err)
	}
	status("find", found.StatusCode(), 200, found.Body)
	got, err := partner.GetUserWithResponse(ctx, user.UserId)
	if err != nil {
		t.Fatal(err)
	}
	status("get", got.StatusCode(), 200, got.Body)
	if found.JSON200.Data.UserId != user.UserId || got.JSON200.Data.ExternalUserId != "flow-user-1" {
		t.Fatalf("find %s, get %s", found.Body, got.Body)
	}

	// A KYC link: the user is PENDING.
	redirect := "https://app.acme.example/kyc/done"
	link, err := partner.CreateVerificationLinkWithResponse(ctx, user.UserId, client.CreateVerificationLinkJSONRequestBody{Country: client.US, PartnerRedirectUri: &redirect})
	if err != nil {
		t.Fatal(err)
	}
	status("verification link", link.StatusCode(), 201, link.Body)
	if !strings.Contains(link.JSON201.Data.KycLink, link.JSON201.Data.SessionId) {
		t.Fatalf("link %+v", link.JSON201.Data)
	}
	if got, _ := partner.GetUserWithResponse(ctx, user.UserId); got.JSON200 == nil || got.JSON200.Data.KycStatus != client.KycStatusPENDING {
		t.Fatalf("after the link: %s", got.Body)
	}

	// A user token for the widget; the widget links the partner's identifier.
	minted, err := partner.CreateUserTokenWithResponse(ctx, user.UserId)
	if err != nil {
		t.Fatal(err)
	}
	status("token", minted.StatusCode(), 201, minted.Body)
	token := minted.JSON201.Data.Token
	widget, err := client.NewClientWithResponses(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	identifier := "c6fefe8d7ac0f4113876d634e8d15f65947f1b62d4859fffcd2464d2be58b2d8"
	linked, err := widget.LinkIdentifierWithResponse(ctx, client.LinkIdentifierJSONRequestBody{Identifier: identifier}, client.UserAuthorization(token))
	if err != nil {
		t.Fatal(err)
	}
	status("link identifier", linked.StatusCode(), 200, linked.Body)
	if linked.JSON200.Message != "User identifier linked successfully." {
		t.Fatalf("link identifier: %s", linked.Body)
	}
	short, err := widget.LinkIdentifierWithResponse(ctx, client.LinkIdentifierJSONRequestBody{Identifier: "short"}, client.UserAuthorization(token))
	if err != nil {
		t.Fatal(err)
	}
	status("short identifier", short.StatusCode(), 400, short.Body)
	if _, ok := short.JSON400.Errors["ER102"]; !ok {
		t.Fatalf("short identifier: %s", short.Body)
	}

	// The checkout names the user by the linked identifier.
	info, err := partner.UserInfoWithResponse(ctx, client.UserIdentifier(identifier))
	if err != nil {
		t.Fatal(err)
	}
	status("user info", info.StatusCode(), 200, info.Body)
	if info.JSON200.UserId != user.UserId || !info.JSON200.IdentifierLinked || info.JSON200.PartnerId != devdata.PartnerID {
		t.Fatalf("user info: %s", info.Body)
	}

	// The partner serves itself: a new key, rolled (the old one working a
	// day more), an access token for the rolled-in key (client_id and
	// client_secret in the form), and the checkout again with the token
	// alone in place of the key: one credential per request.
	made, err := partner.CreateApiKeyWithResponse(ctx, client.CreateApiKeyJSONRequestBody{})
	if err != nil {
		t.Fatal(err)
	}
	status("create key", made.StatusCode(), 201, made.Body)
	rolled, err := partner.RollApiKeyWithResponse(ctx, made.JSON201.Data.Id, client.RollApiKeyJSONRequestBody{})
	if err != nil {
		t.Fatal(err)
	}
	status("roll key", rolled.StatusCode(), 201, rolled.Body)
	if rolled.JSON201.Data.RolledKey.Id != made.JSON201.Data.Id {
		t.Fatalf("roll: %s", rolled.Body)
	}
	partnerID, secret := devdata.PartnerID, rolled.JSON201.Data.Key
	anonymous, err := client.NewClientWithResponses(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	granted, err := anonymous.CreateAccessTokenWithFormdataBodyWithResponse(ctx, client.CreateAccessTokenFormdataRequestBody{
		GrantType: "client_credentials", ClientId: &partnerID, ClientSecret: &secret})
	if err != nil {
		t.Fatal(err)
	}
	status("access token", granted.StatusCode(), 200, granted.Body)
	if granted.JSON200.TokenType != "Bearer" || granted.JSON200.ExpiresIn != 3600 {
		t.Fatalf("access token: %s", granted.Body)
	}
	byToken, err := anonymous.UserInfoWithResponse(ctx, client.BearerToken(granted.JSON200.AccessToken), client.UserIdentifier(identifier))
	if err != nil {
		t.Fatal(err)
	}
	status("user info by access token", byToken.StatusCode(), 200, byToken.Body)
	if byToken.JSON200.UserId != user.UserId {
		t.Fatalf("user info by access token: %s", byToken.Body)
	}
	keysByToken, err := anonymous.ListApiKeysWithResponse(ctx, client.BearerToken(granted.JSON200.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	status("keys by access token", keysByToken.StatusCode(), 200, keysByToken.Body)

	// The federated identity from the partner's identity provider.
	bearer := client.BearerToken(token)
	set, err := widget.SetFederatedIdentityWithResponse(ctx, "devpartner", bearer)
	if err != nil {
		t.Fatal(err)
	}
	status("set identity", set.StatusCode(), 204, set.Body)
	list, err := widget.ListFederatedIdentitiesWithResponse(ctx, nil, bearer)
	if err != nil {
		t.Fatal(err)
	}
	status("list identities", list.StatusCode(), 200, list.Body)
	if ids := list.ApplicationvndApiJSON200.Data; len(ids) != 1 || ids[0].Attributes.IdentityProvider == nil ||
		*ids[0].Attributes.IdentityProvider != "devpartner" || ids[0].Attributes.Subject == nil {
		t.Fatalf("identities: %s", list.Body)
	}
	// A sparse fieldset: the subject alone.
	only := "subject"
	list, err = widget.ListFederatedIdentitiesWithResponse(ctx, &client.ListFederatedIdentitiesParams{FieldsFederatedIdentities: &only}, bearer)
	if err != nil {
		t.Fatal(err)
	}
	status("list subjects", list.StatusCode(), 200, list.Body)
	if ids := list.ApplicationvndApiJSON200.Data; len(ids) != 1 || ids[0].Attributes.IdentityProvider != nil || ids[0].Attributes.Subject == nil {
		t.Fatalf("sparse identities: %s", list.Body)
	}
	unknown, err := widget.SetFederatedIdentityWithResponse(ctx, "nobody", bearer)
	if err != nil {
		t.Fatal(err)
	}
	status("unknown provider", unknown.StatusCode(), 404, unknown.Body)
	if unknown.ApplicationvndApiJSON404.Errors[0].Code != "identity-provider-not-found" {
		t.Fatalf("unknown provider: %s", unknown.Body)
	}
	deleted, err := widget.DeleteFederatedIdentityWithResponse(ctx, "devpartner", bearer)
	if err != nil {
		t.Fatal(err)
	}
	status("delete identity", deleted.StatusCode(), 204, deleted.Body)

	// Every change reached the partner's server, signed.
	want := []client.WebhookEventType{client.UserCreated, client.KycSessionCreated, client.UserIdentifierLinked,
		client.FederatedIdentitySet, client.FederatedIdentityDeleted}
	deliveries := receiver.waitFor(t, len(want))
	byType := map[client.WebhookEventType]*client.WebhookEvent{}
	for _, d := range deliveries {
		ev, err := client.VerifyWebhook(devdata.WebhookSecret, d.header, d.body, time.Now())
		if err != nil {
			t.Fatalf("a hook does not verify: %v\n%v\n%s", err, d.header, d.body)
		}
		byType[ev.Type] = ev
	}
	for _, typ := range want {
		if byType[typ] == nil {
			t.Fatalf("no %s event among %d deliveries", typ, len(deliveries))
		}
	}
	created0, err := byType[client.UserCreated].Data.AsUserCreatedData()
	if err != nil || created0.UserId != user.UserId.String() || deref(created0.ExternalUserId) != "flow-user-1" {
		t.Fatalf("user.created data %+v (%v)", created0, err)
	}
	session, err := byType[client.KycSessionCreated].Data.AsKycSessionCreatedData()
	if err != nil || session.SessionId != link.JSON201.Data.SessionId || deref(session.Country) != "US" {
		t.Fatalf("kyc.session_created data %+v (%v)", session, err)
	}
	linkedEv, err := byType[client.UserIdentifierLinked].Data.AsIdentifierLinkedData()
	if err != nil || deref(linkedEv.Identifier) != identifier {
		t.Fatalf("user.identifier_linked data %+v (%v)", linkedEv, err)
	}

	// The partner's events API, through make run's dispatcher and in-process
	// retry queue: every event listed delivered, newest first; a test event
	// delivered signed; a redelivery of user.created with its id, scrubbed.
	// A hook is recorded once the receiver has answered: the listing
	// is read until it shows every attempt.
	var listed []client.WebhookEventSummary
	for stop := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		page, err := partner.ListWebhookEventsWithResponse(ctx, &client.ListWebhookEventsParams{})
		if err != nil {
			t.Fatal(err)
		}
		status("list events", page.StatusCode(), 200, page.Body)
		listed = page.JSON200.Data.Events
		if len(listed) != len(want) || page.JSON200.Data.NextCursor != nil {
			t.Fatalf("listed %d events (next %v), want %d", len(listed), page.JSON200.Data.NextCursor, len(want))
		}
		if !slices.ContainsFunc(listed, func(ev client.WebhookEventSummary) bool { return ev.Attempts == 0 }) || time.Now().After(stop) {
			break
		}
	}
	for i, ev := range listed {
		if i > 0 && ev.Id >= listed[i-1].Id {
			t.Fatalf("not newest first: %s after %s", ev.Id, listed[i-1].Id)
		}
		if ev.Status != client.Delivered || ev.Attempts != 1 || ev.LastResponseStatus == nil || *ev.LastResponseStatus != 204 || ev.LastAttemptAt == nil {
			t.Fatalf("listed %+v, want delivered at the first attempt with 204", ev)
		}
	}
	test, err := partner.SendTestWebhookWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status("test event", test.StatusCode(), 202, test.Body)
	hooked := receiver.waitFor(t, len(deliveries)+1)
	testEv, err := client.VerifyWebhook(devdata.WebhookSecret, hooked[len(hooked)-1].header, hooked[len(hooked)-1].body, time.Now())
	if err != nil || testEv.Type != client.WebhookTest || testEv.Id != test.JSON202.Data.Id {
		t.Fatalf("test event hook %+v (%v), want %s", testEv, err, test.JSON202.Data.Id)
	}
	again, err := partner.RedeliverWebhookEventWithResponse(ctx, byType[client.UserCreated].Id, client.RedeliverWebhookEventJSONRequestBody{})
	if err != nil {
		t.Fatal(err)
	}
	status("redeliver", again.StatusCode(), 202, again.Body)
	hooked = receiver.waitFor(t, len(deliveries)+2)
	redelivered, err := client.VerifyWebhook(devdata.WebhookSecret, hooked[len(hooked)-1].header, hooked[len(hooked)-1].body, time.Now())
	if err != nil || redelivered.Id != byType[client.UserCreated].Id || redelivered.PersonalDataRemoved == nil || !*redelivered.PersonalDataRemoved ||
		strings.Contains(string(hooked[len(hooked)-1].body), "flow-user-1") {
		t.Fatalf("redelivery %+v (%v): %s", redelivered, err, hooked[len(hooked)-1].body)
	}
	deliveries = hooked

	// A second endpoint of the partner's own, for kyc.status_changed only;
	// its secret rotated (the old one signing a day more beside the new).
	// The user's KYC outcome then goes to both endpoints, each signed with
	// its own secret; the events API shows a delivery per endpoint, and a
	// redelivery may name one.
	kycReceiver := &webhookReceiver{seen: make(chan struct{}, 1)}
	kycHooks := httptest.NewServer(kycReceiver)
	defer kycHooks.Close()
	onlyKYC := []string{string(client.KycStatusChanged)}
	endpoint, err := partner.CreateWebhookEndpointWithResponse(ctx, client.CreateWebhookEndpointJSONRequestBody{Url: kycHooks.URL + "/kyc", EnabledEvents: &onlyKYC})
	if err != nil {
		t.Fatal(err)
	}
	status("create endpoint", endpoint.StatusCode(), 201, endpoint.Body)
	endpointID, firstSecret := endpoint.JSON201.Data.Id, endpoint.JSON201.Data.Secret
	rotated, err := partner.RotateWebhookEndpointSecretWithResponse(ctx, endpointID)
	if err != nil {
		t.Fatal(err)
	}
	status("rotate endpoint secret", rotated.StatusCode(), 201, rotated.Body)
	newSecret := rotated.JSON201.Data.Secret
	if newSecret == firstSecret || rotated.JSON201.Data.PreviousSecretExpiresAt == nil {
		t.Fatalf("rotate: %s", rotated.Body)
	}
	endpoints, err := partner.ListWebhookEndpointsWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status("list endpoints", endpoints.StatusCode(), 200, endpoints.Body)
	if list := endpoints.JSON200.Data.Endpoints; len(list) != 2 || list[0].Id != "we_default" || list[1].Id != endpointID {
		t.Fatalf("endpoints: %s", endpoints.Body)
	}
	if answer, err := postHostedCallback(ctx, deps.KYCProviders, srv.URL, link.JSON201.Data.SessionId, "APPROVED", time.Now()); err != nil {
		t.Fatalf("the provider's callback: %s %v", answer, err)
	}
	kycHooked := kycReceiver.waitFor(t, 1)
	outcome, err := client.VerifyWebhook(newSecret, kycHooked[0].header, kycHooked[0].body, time.Now())
	if err != nil || outcome.Type != client.KycStatusChanged {
		t.Fatalf("the kyc endpoint's delivery %+v (%v)", outcome, err)
	}
	if _, err := client.VerifyWebhook(firstSecret, kycHooked[0].header, kycHooked[0].body, time.Now()); err != nil {
		t.Fatalf("the rotated-out secret no longer verifies within its day: %v", err)
	}
	if _, err := client.VerifyWebhook(devdata.WebhookSecret, kycHooked[0].header, kycHooked[0].body, time.Now()); err == nil {
		t.Fatal("the first endpoint's secret verifies the second endpoint's delivery")
	}
	hooked = receiver.waitFor(t, len(deliveries)+1)
	if ev, err := client.VerifyWebhook(devdata.WebhookSecret, hooked[len(hooked)-1].header, hooked[len(hooked)-1].body, time.Now()); err != nil || ev.Id != outcome.Id {
		t.Fatalf("the first endpoint's kyc.status_changed %+v (%v)", ev, err)
	}
	deliveries = hooked
	kycType := client.KycStatusChanged
	for stop := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		page, err := partner.ListWebhookEventsWithResponse(ctx, &client.ListWebhookEventsParams{Type: &kycType})
		if err != nil {
			t.Fatal(err)
		}
		status("list kyc events", page.StatusCode(), 200, page.Body)
		if evs := page.JSON200.Data.Events; len(evs) == 1 && evs[0].Status == client.Delivered && len(evs[0].Deliveries) == 2 {
			ids := []string{evs[0].Deliveries[0].EndpointId, evs[0].Deliveries[1].EndpointId}
			if !slices.Contains(ids, "we_default") || !slices.Contains(ids, endpointID) || evs[0].Deliveries[0].Status != client.Delivered ||
				evs[0].Deliveries[1].Status != client.Delivered || evs[0].Attempts != 2 {
				t.Fatalf("deliveries per endpoint: %s", page.Body)
			}
			break
		}
		if time.Now().After(stop) {
			t.Fatalf("kyc.status_changed not delivered to both endpoints: %s", page.Body)
		}
	}
	again, err = partner.RedeliverWebhookEventWithResponse(ctx, outcome.Id, client.RedeliverWebhookEventJSONRequestBody{EndpointId: &endpointID})
	if err != nil {
		t.Fatal(err)
	}
	status("redeliver to one endpoint", again.StatusCode(), 202, again.Body)
	if kycHooked = kycReceiver.waitFor(t, 2); kycHooked[1].header.Get("Webhook-Id") != outcome.Id {
		t.Fatalf("the redelivery to the kyc endpoint: %v", kycHooked[1].header)
	}

	// The user's erasure: 204, then 404, and a user.deleted event of its id only.
	erased, err := partner.DeleteUserWithResponse(ctx, user.UserId)
	if err != nil {
		t.Fatal(err)
	}
	status("erase", erased.StatusCode(), 204, erased.Body)
	gone, err := partner.GetUserWithResponse(ctx, user.UserId)
	if err != nil {
		t.Fatal(err)
	}
	status("get the erased user", gone.StatusCode(), 404, gone.Body)
	var deletedEv *client.WebhookEvent
	for _, d := range receiver.waitFor(t, len(deliveries)+1)[len(deliveries):] {
		if ev, err := client.VerifyWebhook(devdata.WebhookSecret, d.header, d.body, time.Now()); err == nil && ev.Type == client.UserDeleted {
			deletedEv = ev
			if strings.Contains(string(d.body), "flow-user-1") || strings.Contains(string(d.body), email) {
				t.Fatalf("user.deleted carries personal data: %s", d.body)
			}
		}
	}
	if deletedEv == nil {
		t.Fatal("no user.deleted hook")
	}
	if data, err := deletedEv.Data.AsUserDeletedData(); err != nil || data.UserId != user.UserId.String() {
		t.Fatalf("user.deleted data %+v (%v)", data, err)
	}

	// Forgeries of a real hook are refused.
	sample := deliveries[0]
	forged := func(name string, secret string, edit func(h http.Header, body []byte) []byte, want error) {
		t.Helper()
		h := sample.header.Clone()
		body := edit(h, bytes.Clone(sample.body))
		if _, err := client.VerifyWebhook(secret, h, body, time.Now()); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
	same := func(_ http.Header, b []byte) []byte { return b }
	forged("another secret", "not-the-secret-0123456789", same, client.ErrWebhookSignature)
	forged("an edited body", devdata.WebhookSecret, func(_ http.Header, b []byte) []byte {
		return bytes.Replace(b, []byte(`"userId":"`), []byte(`"userId":"0`), 1)
	}, client.ErrWebhookSignature)
	forged("a replay an hour later", devdata.WebhookSecret, func(h http.Header, b []byte) []byte {
		ts, _ := strconv.ParseInt(h.Get("Webhook-Timestamp"), 10, 64)
		h.Set("Webhook-Timestamp", strconv.FormatInt(ts-3600, 10))
		return b
	}, client.ErrWebhookTimestamp)
	// The id is signed (Standard Webhooks): a hook replayed under another id fails.
	forged("another event's id", devdata.WebhookSecret, func(h http.Header, b []byte) []byte {
		h.Set("Webhook-Id", "evt_00000000000000000000000000000000")
		return b
	}, client.ErrWebhookSignature)
	forged("another event type in the header", devdata.WebhookSecret, func(h http.Header, b []byte) []byte {
		h.Set("Webhook-Event", "user.deleted")
		return b
	}, client.ErrWebhookBody)
}
