package tokenauth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/domain/tokenauth"
	"github.com/partner-identity/api/shared/domain/tokens"
	"github.com/partner-identity/api/shared/testkit/fixture"
)

// meeting is a store whose partner read and user read wait for each other
// (up to a deadlock breaker): at once, both find the other there.
type meeting struct {
	*memstore.Store
	partnerIn, userIn chan struct{}
	met, userReads    atomic.Int32
	// besideIn, when set, is closed by what runs beside the reads; the
	// partner read waits for it (besideMet: it came).
	besideIn  chan struct{}
	besideMet atomic.Bool
}

func (m *meeting) meet(mine, other chan struct{}) {
	close(mine)
	select {
	case <-other:
		m.met.Add(1)
	case <-time.After(5 * time.Second):
	}
}

func (m *meeting) GetPartner(ctx context.Context, id string) (domain.PartnerRecord, error) {
	if m.besideIn != nil {
		select {
		case <-m.besideIn:
			m.besideMet.Store(true)
		case <-time.After(5 * time.Second):
		}
	}
	m.meet(m.partnerIn, m.userIn)
	return m.Store.GetPartner(ctx, id)
}

func (m *meeting) GetUser(ctx context.Context, id string) (domain.User, error) {
	m.userReads.Add(1)
	m.meet(m.userIn, m.partnerIn)
	return m.Store.GetUser(ctx, id)
}

// TestATokensPartnerAndUserAreReadAtOnce: a user token names its partner
// and its user (signed); a container that holds neither reads both at
// once (a cold request waits one round trip for them, not two), and the
// user read is dropped when the partner refuses the token (suspended:
// token-invalid, no principal); what a route reads beside them runs at the
// same time, once the token verifies.
func TestATokensPartnerAndUserAreReadAtOnce(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	m := &meeting{Store: memstore.New()}
	admin := partners.NewAdmin(m.Store, nil, false)
	for _, id := range []string{"p_a", "p_b"} {
		if _, _, err := admin.Create(ctx, "test", partners.NewPartner{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.Suspend(ctx, "test", "p_b"); err != nil {
		t.Fatal(err)
	}
	keys := fixture.ServiceKeys(t)
	for _, u := range []domain.User{{ID: "00000000-0000-4000-8000-00000000000a", PartnerID: "p_a"}, {ID: "00000000-0000-4000-8000-00000000000b", PartnerID: "p_b"}} {
		u.Type, u.Method, u.KYCStatus, u.CreatedAt, u.UpdatedAt = "INDIVIDUAL", "NONE", domain.KYCNotStarted, now, now
		if _, err := m.Store.CreateUser(ctx, u, domain.Guard{PartnerID: u.PartnerID, ExternalUserID: u.ID, UserID: u.ID, CreatedAt: now},
			domain.OutboxEvent{ID: "evt_" + u.ID, PartnerID: u.PartnerID, Type: "user.created", Payload: []byte("{}"), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	auth := func() *tokenauth.Authenticator { // a cold container
		m.partnerIn, m.userIn = make(chan struct{}), make(chan struct{})
		m.met.Store(0)
		return tokenauth.New(partners.NewDirectory(m, nil), func(context.Context) (*servicekeys.Keys, error) { return keys, nil }, m, time.Now, 0)
	}
	token := func(user, partner string) string {
		tok, err := tokens.Mint(keys, user, partner, now, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}
	p, err := auth().Token(ctx, token("00000000-0000-4000-8000-00000000000a", "p_a"))
	if err != nil || p.User.PartnerID != "p_a" || p.Partner.ID != "p_a" || m.met.Load() != 2 {
		t.Fatalf("a good token: %+v %v, met %d (2: at once)", p, err, m.met.Load())
	}
	p, err = auth().Token(ctx, token("00000000-0000-4000-8000-00000000000b", "p_b"))
	if !errors.Is(err, domain.E(domain.Unauthenticated, domain.ReasonTokenInvalid)) || p != nil {
		t.Fatalf("a suspended partner's token: %+v %v", p, err)
	}
	// What a route reads beside (a federated identity's provider) runs at
	// the same time as the partner and user reads.
	a := auth()
	m.besideIn = make(chan struct{})
	p, err = a.HeaderBeside(ctx, "Bearer "+token("00000000-0000-4000-8000-00000000000a", "p_a"), func(context.Context) { close(m.besideIn) })
	if err != nil || p == nil || !m.besideMet.Load() || m.met.Load() != 2 {
		t.Fatalf("beside: %v, beside met %v, met %d", err, m.besideMet.Load(), m.met.Load())
	}
	m.besideIn = nil

	// Once a container holds the keys, a token that does not verify reads
	// nothing and runs nothing beside; before (its first requests, the
	// keys on their way) what was read for it is dropped.
	warm := auth()
	if _, err := warm.Token(ctx, token("00000000-0000-4000-8000-00000000000a", "p_a")); err != nil {
		t.Fatal(err)
	}
	reads := m.userReads.Load()
	ran := false
	if _, err := warm.HeaderBeside(ctx, "Bearer "+token("00000000-0000-4000-8000-00000000000a", "p_a")+"x", func(context.Context) { ran = true }); err == nil || ran || m.userReads.Load() != reads {
		t.Fatalf("a bad signature, warm: %v, beside ran %v, %d reads", err, ran, m.userReads.Load()-reads)
	}
	if p, err := auth().Token(ctx, token("00000000-0000-4000-8000-00000000000a", "p_a")+"x"); err == nil || p != nil {
		t.Fatalf("a bad signature, cold: %+v %v", p, err)
	}

	// While the keys are on their way the reads have started: the keys'
	// fetch waits for the user read to begin (it would wait for ever if
	// the reads waited for the keys).
	m.partnerIn, m.userIn = make(chan struct{}), make(chan struct{})
	m.met.Store(0)
	var keysWaited atomic.Bool
	cold := tokenauth.New(partners.NewDirectory(m, nil), func(context.Context) (*servicekeys.Keys, error) {
		select {
		case <-m.userIn:
			keysWaited.Store(true)
		case <-time.After(5 * time.Second):
		}
		return keys, nil
	}, m, time.Now, 0)
	if p, err := cold.Token(ctx, token("00000000-0000-4000-8000-00000000000a", "p_a")); err != nil || p == nil || !keysWaited.Load() {
		t.Fatalf("the reads beside the keys' fetch: %+v %v, the user read started first %v", p, err, keysWaited.Load())
	}
}
