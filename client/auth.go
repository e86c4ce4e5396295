package client

import (
	"context"
	"net/http"
)

// PartnerAPIKey sends key as the partner-api-key header: every Partner v2
// call, and User v2 calls with UserIdentifier.
func PartnerAPIKey(key string) RequestEditorFn {
	return header("partner-api-key", key)
}

// UserIdentifier names the user by the identifier the partner linked
// (User v2, with PartnerAPIKey).
func UserIdentifier(identifier string) RequestEditorFn {
	return header("User-Identifier", identifier)
}

// UserAuthorization sends a user token as User v2 reads it
// (User-Authorization: Bearer <token>).
func UserAuthorization(token string) RequestEditorFn {
	return header("User-Authorization", "Bearer "+token)
}

// BearerToken sends a user token as the federated identities surface reads
// it (Authorization: Bearer <token>).
func BearerToken(token string) RequestEditorFn {
	return header("Authorization", "Bearer "+token)
}

func header(name, value string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set(name, value)
		return nil
	}
}
