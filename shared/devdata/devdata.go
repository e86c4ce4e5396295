// Package devdata is everything a local runner (make run, make invoke,
// the bench, the tests) has and a function never does: the development
// partner, its key and secrets, the in-memory store, the in-process webhook
// queues (Build), and the development user the files in events/ name
// (SeedUser), so that each event's local invoke and the bench get their
// success. No function binary links it (shared/layers' test holds each
// function's dependencies to that).
package devdata

import (
	"bytes"
	"context"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/federation"
	"github.com/partner-identity/api/shared/domain/identifiers"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/lambda/app"
)

// The development user of events/: its userId, its externalUserId and the
// identifier it has linked (events/link-identifier.json's token is its).
const (
	UserID         = "2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11"
	ExternalUserID = "91b95244-72ca-459e-88d2-281c3e2935c1"
	Identifier     = "c6fefe8d7ac0f4113876d634e8d15f65947f1b62d4859fffcd2464d2be58b2d8"
	// HostedSessionID is its KYC session with the hosted provider
	// (events/kyc-hosted-webhook.json's); SumsubSessionID its latest, with
	// Sumsub (events/kyc-sumsub-webhook.json's, which names the user).
	HostedSessionID = "0d5e6f7a8b9c4d1e2f3a4b5c6d7e8f90"
	SumsubSessionID = "7a1b2c3d4e5f40617283940a1b2c3d4e"
	// EventID is the development partner's webhook.test event (the one
	// events/redeliver-webhook-event.json and events/webhook-retry.json name).
	EventID = "evt_0123456789abcdef0123456789abcdef"
)

// SeedUser writes the development user of the development partner into
// d's store, with its guard, its linked identifier and its federated
// identity with the development partner's provider.
func SeedUser(ctx context.Context, d *app.Deps) error {
	// An hour before the container's clock: the events' provider results
	// (at the clock's time) are newer than the sessions they apply to.
	now := d.Now().UTC().Add(-time.Hour)
	u := domain.User{ID: UserID, PartnerID: PartnerID, ExternalUserID: ExternalUserID, Type: "INDIVIDUAL",
		Method: "EMAIL", Identifier: "money@capa.fi", KYCStatus: domain.KYCNotStarted, CreatedAt: now, UpdatedAt: now}
	g := domain.Guard{PartnerID: u.PartnerID, ExternalUserID: u.ExternalUserID, UserID: u.ID, RequestHash: "seed", Response: []byte("{}"), CreatedAt: now}
	if _, err := d.Store.CreateUser(ctx, u, g, outbox.MustPersonal(outbox.UserCreated, u.PartnerID, u.ID, map[string]string{"userId": u.ID}, now)); err != nil {
		return err
	}
	p, err := d.Partners.Partner(ctx, u.PartnerID)
	if err != nil {
		return err
	}
	if err := identifiers.NewLinker(d.Store, d.Now, d.Keys).Link(ctx, u, p, Identifier); err != nil {
		return err
	}
	if u, err = d.Store.GetUser(ctx, u.ID); err != nil {
		return err
	}
	if err := federation.New(d.Store, d.Now).Set(ctx, u, p); err != nil {
		return err
	}
	for _, sess := range []domain.KYCSession{
		{ID: HostedSessionID, Provider: domain.ProviderHosted, TemplateID: "dev-mx"},
		{ID: SumsubSessionID, Provider: domain.ProviderSumsub, TemplateID: "basic-kyc-level"},
	} {
		sess.UserID, sess.PartnerID, sess.Country, sess.Status = u.ID, u.PartnerID, "MX", domain.KYCPending
		sess.CreatedAt, sess.UpdatedAt, sess.ExpiresAt = now, now, now.Add(24*time.Hour).Truncate(time.Second)
		sess.RetainUntil = sess.ExpiresAt.Add(30 * 24 * time.Hour)
		ev := outbox.MustPersonal(outbox.KYCSessionCreated, u.PartnerID, u.ID, map[string]string{"userId": u.ID, "sessionId": sess.ID}, now)
		if _, err := d.Store.OpenKYCSession(ctx, sess, now, ev); err != nil {
			return err
		}
		now = now.Add(time.Millisecond) // the Sumsub session is the latest
	}
	ev := outbox.Must(outbox.WebhookTest, u.PartnerID, map[string]string{"message": "development event"}, now)
	ev.Payload = bytes.ReplaceAll(ev.Payload, []byte(ev.ID), []byte(EventID))
	ev.ID = EventID
	return d.Store.PutOutboxEvent(ctx, ev, domain.Budget{})
}
