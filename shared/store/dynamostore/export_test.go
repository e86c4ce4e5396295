package dynamostore

import "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

// SessionItem is the item of a session as OpenKYCSession writes it, for
// this package's tests to seed many sessions at once with BatchWriteItem.
var SessionItem = sessionItem

// SessionKey is the key of session id.
func SessionKey(id string) map[string]types.AttributeValue {
	return key(kycSessionPK(id), kycSessionSK)
}
