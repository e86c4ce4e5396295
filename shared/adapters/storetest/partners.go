package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

func aPartner(id, provider string, digests ...string) domain.PartnerRecord {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	p := domain.PartnerRecord{ID: id, Settings: []byte(`{"name":"` + id + `"}`), Provider: provider, Rev: 1, CreatedAt: now, UpdatedAt: now}
	for i, d := range digests {
		p.Keys = append(p.Keys, domain.APIKey{ID: fmt.Sprintf("key_%s_%d", id, i), Digest: d, CreatedAt: now})
	}
	return p
}

func audit(id, action string) domain.AuditEntry {
	return domain.AuditEntry{PartnerID: id, Actor: "operator@example", Action: action, Detail: "test", At: time.Now().UTC()}
}

// digest is a 64-hex-digit stand-in for a key's SHA-256.
func digest(n int) string { return fmt.Sprintf("%064x", n) }

// runPartners runs the partners part: one item per request read, the
// conditions that keep ids, keys and providers unique, revisions.
func runPartners(t *testing.T, newStore func(t *testing.T) domain.Store) {
	ctx := context.Background()

	t.Run("create, then find by id, key and provider", func(t *testing.T) {
		s := newStore(t)
		p := aPartner("p1", "acme-id", digest(1), digest(2))
		p.Keys[1].ExpiresAt = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := s.SavePartner(ctx, nil, p, audit("p1", "create")); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetPartner(ctx, "p1")
		if err != nil || got.Rev != 1 || string(got.Settings) != string(p.Settings) || len(got.Keys) != 2 || got.Provider != "acme-id" ||
			!got.Keys[1].ExpiresAt.Equal(p.Keys[1].ExpiresAt) || !got.CreatedAt.Equal(p.CreatedAt) {
			t.Fatalf("get: %+v %v", got, err)
		}
		m, err := s.PartnerByKey(ctx, digest(2))
		if err != nil || m.Partner.ID != "p1" || m.Key.ID != "key_p1_1" || !m.Key.ExpiresAt.Equal(p.Keys[1].ExpiresAt) || string(m.Partner.Settings) != string(p.Settings) {
			t.Fatalf("by key: %+v %v", m, err)
		}
		if byP, err := s.PartnerByProvider(ctx, "acme-id"); err != nil || byP.ID != "p1" {
			t.Fatalf("by provider: %+v %v", byP, err)
		}
		for _, miss := range []error{
			func() error { _, err := s.GetPartner(ctx, "p2"); return err }(),
			func() error { _, err := s.PartnerByKey(ctx, digest(3)); return err }(),
			func() error { _, err := s.PartnerByProvider(ctx, "other"); return err }(),
		} {
			if !errors.Is(miss, domain.ErrNotFound) {
				t.Fatalf("a miss: %v", miss)
			}
		}
	})

	t.Run("ids, keys and providers stay unique", func(t *testing.T) {
		s := newStore(t)
		if err := s.SavePartner(ctx, nil, aPartner("p1", "acme-id", digest(1)), audit("p1", "create")); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			p    domain.PartnerRecord
			want domain.Reason
		}{
			{aPartner("p1", "", digest(9)), domain.ReasonPartnerExists},
			{aPartner("p2", "", digest(8), digest(1)), domain.ReasonKeyTaken},
			{aPartner("p2", "acme-id", digest(8)), domain.ReasonProviderTaken},
		}
		for _, c := range cases {
			if err := s.SavePartner(ctx, nil, c.p, audit(c.p.ID, "create")); !errors.Is(err, domain.E(domain.Conflict, c.want)) {
				t.Fatalf("%s: %v, want %s", c.p.ID, err, c.want)
			}
		}
		// Nothing of the refused writes stayed.
		if _, err := s.GetPartner(ctx, "p2"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("p2 written: %v", err)
		}
		for _, d := range []string{digest(8), digest(9)} {
			if _, err := s.PartnerByKey(ctx, d); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("a refused key stayed: %v", err)
			}
		}
		if m, _ := s.PartnerByKey(ctx, digest(1)); m.Partner.ID != "p1" {
			t.Fatalf("the key changed hands: %+v", m)
		}
		if a, _ := s.ListAudit(ctx, "p2"); len(a) != 0 {
			t.Fatalf("refused changes audited: %+v", a)
		}
	})

	t.Run("a change replaces keys, provider and every copy", func(t *testing.T) {
		s := newStore(t)
		v1 := aPartner("p1", "old-id", digest(1), digest(2))
		if err := s.SavePartner(ctx, nil, v1, audit("p1", "create")); err != nil {
			t.Fatal(err)
		}
		v2 := aPartner("p1", "new-id", digest(2), digest(3))
		v2.Rev, v2.Settings = 2, []byte(`{"name":"renamed"}`)
		if err := s.SavePartner(ctx, &v1, v2, audit("p1", "update")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PartnerByKey(ctx, digest(1)); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("a removed key still found: %v", err)
		}
		for _, d := range []string{digest(2), digest(3)} {
			if m, err := s.PartnerByKey(ctx, d); err != nil || m.Partner.Rev != 2 || string(m.Partner.Settings) != `{"name":"renamed"}` {
				t.Fatalf("key %s: %+v %v", d[60:], m, err)
			}
		}
		if _, err := s.PartnerByProvider(ctx, "old-id"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("old provider: %v", err)
		}
		if p, err := s.PartnerByProvider(ctx, "new-id"); err != nil || p.Rev != 2 {
			t.Fatalf("new provider: %+v %v", p, err)
		}
		// The old provider is free for another partner.
		if err := s.SavePartner(ctx, nil, aPartner("p2", "old-id", digest(1)), audit("p2", "create")); err != nil {
			t.Fatalf("freed provider and key: %v", err)
		}
		// A change from a stale read is refused and changes nothing.
		v3 := v2
		v3.Rev, v3.Settings = 2, []byte(`{"name":"lost"}`)
		if err := s.SavePartner(ctx, &v1, v3, audit("p1", "update")); !errors.Is(err, domain.E(domain.Stale, domain.ReasonStalePartner)) {
			t.Fatalf("stale: %v", err)
		}
		if p, _ := s.GetPartner(ctx, "p1"); string(p.Settings) != `{"name":"renamed"}` {
			t.Fatalf("a stale change was written: %s", p.Settings)
		}
		if a, _ := s.ListAudit(ctx, "p1"); len(a) != 2 || a[0].Action != "create" || a[1].Action != "update" || a[1].Actor != "operator@example" {
			t.Fatalf("audit %+v", a)
		}
	})

	t.Run("concurrent changes from one read: one wins", func(t *testing.T) {
		s := newStore(t)
		v1 := aPartner("p1", "", digest(1))
		if err := s.SavePartner(ctx, nil, v1, audit("p1", "create")); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v2 := aPartner("p1", "", digest(1), digest(100+i))
				v2.Rev = 2
				errs[i] = s.SavePartner(ctx, &v1, v2, audit("p1", "update"))
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, domain.ErrStale):
				t.Fatalf("a loser: %v", err)
			}
		}
		p, _ := s.GetPartner(ctx, "p1")
		if won != 1 || len(p.Keys) != 2 {
			t.Fatalf("%d won, keys %+v", won, p.Keys)
		}
		found := 0
		for i := range errs {
			if _, err := s.PartnerByKey(ctx, digest(100+i)); err == nil {
				found++
			}
		}
		if found != 1 {
			t.Fatalf("%d losers' keys were written", found-1)
		}
	})

	t.Run("delete removes the partner, its keys and provider, keeps its audit", func(t *testing.T) {
		s := newStore(t)
		p := aPartner("p1", "acme-id", digest(1), digest(2))
		if err := s.SavePartner(ctx, nil, p, audit("p1", "create")); err != nil {
			t.Fatal(err)
		}
		stale := p
		stale.Rev = 7
		if err := s.DeletePartner(ctx, stale, audit("p1", "remove")); !errors.Is(err, domain.ErrStale) {
			t.Fatalf("stale delete: %v", err)
		}
		if err := s.DeletePartner(ctx, p, audit("p1", "remove")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetPartner(ctx, "p1"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("get: %v", err)
		}
		if _, err := s.PartnerByKey(ctx, digest(2)); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("key: %v", err)
		}
		if _, err := s.PartnerByProvider(ctx, "acme-id"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("provider: %v", err)
		}
		if ps, _, _ := s.ListPartners(ctx, "", 10); len(ps) != 0 {
			t.Fatalf("listed: %+v", ps)
		}
		if a, _ := s.ListAudit(ctx, "p1"); len(a) != 2 || a[1].Action != "remove" {
			t.Fatalf("audit %+v", a)
		}
	})

	t.Run("sealed webhook secrets: by revision, with the partner, audited, gone with it", func(t *testing.T) {
		s := newStore(t)
		at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		sec := domain.SealedSecrets{PartnerID: "p1", Rev: 1, UpdatedAt: at, Secrets: []domain.SealedSecret{
			{ID: "whs_1", Sealed: []byte{0, 1, 2, 250}, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}, {ID: "whs_0", Sealed: []byte("x"), CreatedAt: at.Add(-time.Hour)}}}
		if err := s.SaveSealedSecrets(ctx, 0, sec, audit("p1", "rotate")); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("no partner: %v", err)
		}
		if _, err := s.SealedSecrets(ctx, "p1"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("none yet: %v", err)
		}
		p := aPartner("p1", "", digest(1))
		if err := s.SavePartner(ctx, nil, p, audit("p1", "create")); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSealedSecrets(ctx, 0, sec, audit("p1", "rotate")); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSealedSecrets(ctx, 0, sec, audit("p1", "rotate")); !errors.Is(err, domain.ErrStale) {
			t.Fatalf("second first write: %v", err)
		}
		got, err := s.SealedSecrets(ctx, "p1")
		if err != nil || got.Rev != 1 || len(got.Secrets) != 2 || string(got.Secrets[0].Sealed) != string(sec.Secrets[0].Sealed) || got.Secrets[0].ID != "whs_1" ||
			!got.Secrets[0].ExpiresAt.Equal(at.Add(time.Hour)) || !got.Secrets[0].CreatedAt.Equal(at) || !got.Secrets[1].ExpiresAt.IsZero() ||
			string(got.Secrets[1].Sealed) != "x" || !got.UpdatedAt.Equal(at) || got.PartnerID != "p1" {
			t.Fatalf("read: %+v %v", got, err)
		}
		next := domain.SealedSecrets{PartnerID: "p1", Secrets: []domain.SealedSecret{{ID: "whs_2", Sealed: []byte("second"), CreatedAt: at}}, Rev: 2, UpdatedAt: at.Add(time.Hour)}
		if err := s.SaveSealedSecrets(ctx, 5, next, audit("p1", "rotate")); !errors.Is(err, domain.ErrStale) {
			t.Fatalf("stale: %v", err)
		}
		if err := s.SaveSealedSecrets(ctx, 1, next, audit("p1", "rotate")); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SealedSecrets(ctx, "p1"); got.Rev != 2 || len(got.Secrets) != 1 || string(got.Secrets[0].Sealed) != "second" {
			t.Fatalf("after the change: %+v", got)
		}
		if a, _ := s.ListAudit(ctx, "p1"); len(a) != 3 {
			t.Fatalf("audit: %+v", a)
		}
		if err := s.DeletePartner(ctx, p, audit("p1", "remove")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SealedSecrets(ctx, "p1"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("after removal: %v", err)
		}
	})

	t.Run("a user's creation conditioned on the key that asks for it (KeyCheck)", func(t *testing.T) {
		s := newStore(t)
		at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		p1 := aPartner("p1", "", digest(1), digest(2))
		p1.Active = true
		p1.Keys[1].ExpiresAt = at           // expired at the check's time
		p2 := aPartner("p2", "", digest(3)) // not active (suspended)
		for _, p := range []domain.PartnerRecord{p1, p2} {
			if err := s.SavePartner(ctx, nil, p, audit(p.ID, "create")); err != nil {
				t.Fatal(err)
			}
		}
		check := func(d, pid string) context.Context {
			return domain.WithKeyCheck(ctx, domain.KeyCheck{Digest: d, PartnerID: pid, At: at})
		}
		for name, c := range map[string]context.Context{
			"another partner's key": check(digest(1), "p2"),
			"an expired key":        check(digest(2), "p1"),
			"an inactive partner":   check(digest(3), "p2"),
			"an unknown key":        check(digest(9), "p1"),
		} {
			u, g := fixture("u-"+strings.ReplaceAll(name, " ", "-"), "p1", "ext-"+name, at)
			if _, err := s.CreateUser(c, u, g, anEvent()); !errors.Is(err, domain.E(domain.Unauthenticated, domain.ReasonKeyCheck)) {
				t.Fatalf("%s: %v", name, err)
			}
			if _, err := s.GetUser(ctx, u.ID); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("%s: the user was written: %v", name, err)
			}
			if _, err := s.GetGuard(ctx, "p1", g.ExternalUserID); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("%s: the guard was written: %v", name, err)
			}
		}
		u, g := fixture("u-ok", "p1", "ext-ok", at)
		if existing, err := s.CreateUser(check(digest(1), "p1"), u, g, anEvent()); err != nil || existing != nil {
			t.Fatalf("a good key: %v %v", existing, err)
		}
		again, g2 := fixture("u-again", "p1", "ext-ok", at)
		if existing, err := s.CreateUser(check(digest(1), "p1"), again, g2, anEvent()); err != nil || existing == nil || existing.UserID != "u-ok" {
			t.Fatalf("a replay with a good key: %v %v", existing, err)
		}
		// A suspension reaches the keys' items: the check refuses them.
		next := p1
		next.Active, next.Rev = false, 2
		if err := s.SavePartner(ctx, &p1, next, audit("p1", "suspend")); err != nil {
			t.Fatal(err)
		}
		u3, g3 := fixture("u-3", "p1", "ext-3", at)
		if _, err := s.CreateUser(check(digest(1), "p1"), u3, g3, anEvent()); !errors.Is(err, domain.ErrUnauthorized) {
			t.Fatalf("after the suspension: %v", err)
		}
		if got, err := s.PartnerByKey(ctx, digest(1)); err != nil || got.Partner.Active {
			t.Fatalf("the key's copy: %+v %v", got.Partner, err)
		}
	})

	t.Run("an event's write conditioned on the key, and on an endpoint (KeyCheck.Hooked)", func(t *testing.T) {
		s := newStore(t)
		at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		p1 := aPartner("p1", "", digest(1))
		p1.Active = true
		if err := s.SavePartner(ctx, nil, p1, audit("p1", "create")); err != nil {
			t.Fatal(err)
		}
		hooked := domain.WithKeyCheck(ctx, domain.KeyCheck{Digest: digest(1), PartnerID: "p1", At: at, Hooked: true})
		plain := domain.WithKeyCheck(ctx, domain.KeyCheck{Digest: digest(1), PartnerID: "p1", At: at})
		budget := domain.Budget{PartnerID: "p1", Name: "test", Window: at.Truncate(time.Hour), Until: at.Add(time.Hour), Limit: 10}
		ev := anEvent()
		if err := s.PutOutboxEvent(hooked, ev, budget); !errors.Is(err, domain.E(domain.Unauthenticated, domain.ReasonKeyCheck)) {
			t.Fatalf("no endpoint: %v", err)
		}
		if _, err := s.OutboxStatus(ctx, ev.Key()); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("the event was written: %v", err)
		}
		if err := s.PutOutboxEvent(plain, ev, domain.Budget{}); err != nil {
			t.Fatalf("a good key, no budget: %v", err)
		}
		next := p1
		next.Hooked, next.Rev = true, 2
		if err := s.SavePartner(ctx, &p1, next, audit("p1", "set webhook")); err != nil {
			t.Fatal(err)
		}
		ev2 := anEvent()
		if err := s.PutOutboxEvent(hooked, ev2, budget); err != nil {
			t.Fatalf("an endpoint: %v", err)
		}
		if st, err := s.OutboxStatus(ctx, ev2.Key()); err != nil || st.Event.ID != ev2.ID {
			t.Fatalf("the event: %+v %v", st, err)
		}
		if got, _ := s.PartnerByKey(ctx, digest(1)); !got.Partner.Hooked {
			t.Fatalf("the key's copy: %+v", got.Partner)
		}
	})

	t.Run("a key's last use, to the day, goes with the key", func(t *testing.T) {
		s := newStore(t)
		v1 := aPartner("p1", "", digest(1), digest(2))
		if err := s.SavePartner(ctx, nil, v1, audit("p1", "create")); err != nil {
			t.Fatal(err)
		}
		d1, d2 := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
		for _, touch := range []struct {
			digest string
			day    time.Time
		}{{digest(1), d2}, {digest(1), d1}, {digest(2), d1}} { // an earlier day does not go back
			if err := s.TouchKey(ctx, touch.digest, touch.day); err != nil {
				t.Fatal(err)
			}
		}
		used, err := s.KeysLastUsed(ctx, []string{digest(1), digest(2), digest(3)})
		if err != nil || len(used) != 2 || !used[digest(1)].Equal(d2) || !used[digest(2)].Equal(d1) {
			t.Fatalf("last used %v %v", used, err)
		}
		// A change keeps the last use of the keys it keeps, and drops the
		// removed key's.
		v2 := aPartner("p1", "", digest(1))
		v2.Rev = 2
		if err := s.SavePartner(ctx, &v1, v2, audit("p1", "revoke key")); err != nil {
			t.Fatal(err)
		}
		if used, _ := s.KeysLastUsed(ctx, []string{digest(1), digest(2)}); len(used) != 1 || !used[digest(1)].Equal(d2) {
			t.Fatalf("after the change %v", used)
		}
	})

	t.Run("list in pages by id", func(t *testing.T) {
		s := newStore(t)
		for _, id := range []string{"p3", "p1", "p5", "p2", "p4"} {
			if err := s.SavePartner(ctx, nil, aPartner(id, ""), audit(id, "create")); err != nil {
				t.Fatal(err)
			}
		}
		var ids []string
		after := ""
		for range 10 {
			page, next, err := s.ListPartners(ctx, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page {
				ids = append(ids, p.ID)
			}
			if next == "" {
				break
			}
			after = next
		}
		if fmt.Sprint(ids) != "[p1 p2 p3 p4 p5]" {
			t.Fatalf("listed %v", ids)
		}
	})
}
