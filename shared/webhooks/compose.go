package webhooks

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/partner-identity/api/shared/partners"
	"github.com/partner-identity/api/shared/store"
)

// NewDispatcher is the dispatcher of the events in s to the partners of
// registry, signed with their secrets: dead letters go to dlq, requests
// through sender, now is its clock.
func NewDispatcher(s store.Outbox, registry func(context.Context) (*partners.Registry, error),
	secrets func(context.Context) (partners.WebhookSecrets, error), now func() time.Time, dlq DeadLetters, sender *Sender) *Dispatcher {
	return &Dispatcher{Store: s, Registry: registry, Secrets: secrets, Now: now, DeadLetters: dlq, Sender: sender}
}

// DeadLettersTo is the SQS queue queueURL through cfg, or the log when
// there is no queue (or no AWS configuration, outside Lambda).
func DeadLettersTo(cfg *aws.Config, queueURL string) DeadLetters {
	if queueURL == "" || cfg == nil {
		return logDeadLetters{}
	}
	return &SQSDeadLetters{Client: sqs.NewFromConfig(*cfg), QueueURL: queueURL}
}
