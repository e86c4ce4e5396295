// Command partnerctl manages the partners: in a deployed stack's table
// (TABLE_NAME, with the operator's AWS credentials from the environment,
// AWS_ENDPOINT_URL for an emulator), or in make run's store (-local URL,
// where make run runs the same commands in its own process).
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

	"github.com/partner-identity/api/cmd/partnerctl/cli"
	"github.com/partner-identity/api/shared/adapters/awsconfig"
	"github.com/partner-identity/api/shared/adapters/dynamostore"
	"github.com/partner-identity/api/shared/domain/partners"
)

func main() {
	table := flag.String("table", os.Getenv("TABLE_NAME"), "the stack's table (env TABLE_NAME)")
	actor := flag.String("actor", defaultActor(), "who the audit says made the change (default: the OS user at the host; CloudTrail records the AWS principal too)")
	local := flag.String("local", "", "make run's address (http://127.0.0.1:3000): the commands run in its process, on its store")
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
		err = inTable(ctx, *table, flag.Args(), *actor)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "partnerctl:", err)
		os.Exit(1)
	}
}

// inTable runs the command against the stack's table, validating webhook
// URLs as Lambda uses them.
func inTable(ctx context.Context, table string, args []string, actor string) error {
	if table == "" {
		return fmt.Errorf("no table: -table or TABLE_NAME (or -local for make run)")
	}
	cfg, _, err := awsconfig.FromEnv()
	if err != nil {
		return err
	}
	store := dynamostore.New(dynamodb.NewFromConfig(cfg), table)
	return cli.Run(ctx, args, partners.NewAdmin(store, nil, true), actor, os.ReadFile, os.Stdout)
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
