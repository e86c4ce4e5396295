// Command partnerctl manages the partners: in a deployed stack's table
// (TABLE_NAME, with the operator's AWS credentials from the environment,
// AWS_ENDPOINT_URL for an emulator; webhook secrets sealed under -kms-key),
// or in make run's store (-local URL, where make run runs the same
// commands in its own process).
//
//	partnerctl create -id p_acme -name "Acme Pay"
//	partnerctl -local http://127.0.0.1:3000 show p_dev
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/partner-identity/api/cmd/partnerctl/cli"
	"github.com/partner-identity/api/shared/adapters/awsconfig"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/adapters/kmsseal"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/webhooks/delivery"
)

func main() {
	table := flag.String("table", os.Getenv("TABLE_NAME"), "the stack's table (env TABLE_NAME)")
	actor := flag.String("actor", defaultActor(), "who the audit says made the change (default: the OS user at the host; CloudTrail records the AWS principal too)")
	local := flag.String("local", "", "make run's address (http://127.0.0.1:3000): the commands run in its process, on its store")
	kmsKey := flag.String("kms-key", os.Getenv("WEBHOOK_KEY_ID"), "the KMS key webhook secrets are sealed under: the stack's WebhookSigningKeyArn output (env WEBHOOK_KEY_ID); needs kms:Encrypt, and kms:Decrypt for import-webhook-secrets")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: partnerctl [-table T | -local URL] [-actor WHO] COMMAND ...\n%s\n", cli.Usage)
	}
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	if *local != "" {
		err = cli.Remote(ctx, *local, flag.Args(), *actor, os.ReadFile, os.Stdout)
	} else {
		err = inTable(ctx, *table, *kmsKey, flag.Args(), *actor)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "partnerctl:", err)
		os.Exit(1)
	}
}

// inTable runs the command against the stack's table, validating webhook
// URLs as Lambda uses them.
func inTable(ctx context.Context, table, kmsKey string, args []string, actor string) error {
	if table == "" {
		return fmt.Errorf("no table: -table or TABLE_NAME (or -local for make run)")
	}
	cfg, _, err := awsconfig.FromEnv()
	if err != nil {
		return err
	}
	// Webhook URLs are checked as the deliveries will dial them.
	admin := partners.NewAdmin(dynamostore.New(dynamodb.NewFromConfig(cfg), table), nil, true).WithURLCheck(delivery.Policy{}.URLCheck(nil))
	if kmsKey != "" {
		admin.WithSealer(kmsseal.New(kms.NewFromConfig(cfg), kmsKey))
	}
	return cli.Run(ctx, args, admin, actor, os.ReadFile, os.Stdout)
}

func defaultActor() string {
	name := "operator"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		name += "@" + h
	}
	return name
}
