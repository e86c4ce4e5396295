package identifiers

import (
	"context"
	"errors"
	"time"

	"github.com/partner-identity/api/shared/metrics"
	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/servicekeys"
	"github.com/partner-identity/api/shared/store"
)

// Outcomes of Link.
var (
	ErrTaken    = errors.New("identifiers: linked to another user") // ER706
	ErrUserGone = errors.New("identifiers: user not found")         // ER709
)

// Linker links identifiers to users.
type Linker struct {
	store interface {
		store.Links
		store.Users
	}
	now  func() time.Time
	keys func(context.Context) (*servicekeys.Keys, error)
}

// NewLinker is the linker of the links and users of s, with now as its
// clock and the identifier pepper of keys.
func NewLinker(s interface {
	store.Links
	store.Users
}, now func() time.Time, keys func(context.Context) (*servicekeys.Keys, error)) *Linker {
	return &Linker{store: s, now: now, keys: keys}
}

// Link links partner p's identifier id to user u (the authenticated user,
// never one named by the caller). Linking the identifier u holds already is
// a success that writes nothing; another identifier replaces u's previous
// one in the same transaction, which also writes the outbox event.
//
// A federated identity with the partner's identity provider rests on the
// replaced link and is removed with it.
func (l *Linker) Link(ctx context.Context, u store.User, p *partners.Partner, id string) error {
	keys, err := l.keys(ctx)
	if err != nil {
		return err
	}
	pepper, err := keys.IdentifierPepper()
	if err != nil {
		return err
	}
	partnerID := p.ID
	hash := Hash(pepper, partnerID, id)
	for attempt := 0; ; attempt++ {
		if u.LinkedIdentifierHash == hash {
			return nil
		}
		now := l.now().UTC()
		ev, err := linkedEvent(partnerID, u.ID, id, now)
		if err != nil {
			return err
		}
		err = l.store.LinkIdentifier(ctx, u.ID, partnerID, hash, u.LinkedIdentifierHash, p.IdentityProvider, ev, now)
		switch {
		case err == nil:
			metrics.Count(ctx, metrics.IdentifiersLinked, 1)
			return nil
		case errors.Is(err, store.ErrLinkTaken):
			metrics.Count(ctx, metrics.IdentifierConflicts, 1)
			return ErrTaken
		case errors.Is(err, store.ErrNotFound):
			return ErrUserGone
		case errors.Is(err, store.ErrStaleUser) && attempt < 2:
			// The user's link changed meanwhile: read it again and retry.
			if u, err = l.store.GetUser(ctx, u.ID); errors.Is(err, store.ErrNotFound) {
				return ErrUserGone
			} else if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// linkedEvent is the outbox event of a link; it alone carries the raw
// identifier, for the partner's webhook.
func linkedEvent(partnerID, userID, id string, now time.Time) (store.OutboxEvent, error) {
	return outbox.Personal(outbox.UserIdentifierLinked, partnerID, userID, map[string]string{"userId": userID, "identifier": id}, now)
}
