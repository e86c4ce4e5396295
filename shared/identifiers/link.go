package identifiers

import (
	"context"
	"errors"
	"time"

	"github.com/partner-identity/api/shared/outbox"
	"github.com/partner-identity/api/shared/store"
)

// Outcomes of Link.
var (
	ErrTaken    = errors.New("identifiers: linked to another user") // ER706
	ErrUserGone = errors.New("identifiers: user not found")         // ER709
)

// Linker links identifiers to users.
type Linker struct {
	Store store.Store
	Now   func() time.Time
}

// Link links partnerID's identifier id to user u (the authenticated user,
// never one named by the caller). Linking the identifier u holds already is
// a success that writes nothing; another identifier replaces u's previous
// one in the same transaction, which also writes the outbox event.
//
// provider is the partner's identityProvider slug ("" for none): a
// federated identity with it rests on the replaced link and is removed.
func (l *Linker) Link(ctx context.Context, pepper []byte, u store.User, partnerID, provider, id string) error {
	hash := Hash(pepper, partnerID, id)
	for attempt := 0; ; attempt++ {
		if u.LinkedIdentifierHash == hash {
			return nil
		}
		now := l.Now().UTC()
		ev, err := linkedEvent(partnerID, u.ID, id, now)
		if err != nil {
			return err
		}
		err = l.Store.LinkIdentifier(ctx, u.ID, partnerID, hash, u.LinkedIdentifierHash, provider, ev, now)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, store.ErrLinkTaken):
			return ErrTaken
		case errors.Is(err, store.ErrNotFound):
			return ErrUserGone
		case errors.Is(err, store.ErrStaleUser) && attempt < 2:
			// The user's link changed meanwhile: read it again and retry.
			if u, err = l.Store.GetUser(ctx, u.ID); errors.Is(err, store.ErrNotFound) {
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
	return outbox.New(outbox.UserIdentifierLinked, partnerID, map[string]string{"userId": userID, "identifier": id}, now)
}
