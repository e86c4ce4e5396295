package systemtest_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/testkit/sam"
)

// TestDeploysShiftTrafficAndRollBackOnAlarms: in the template as SAM
// transforms it, every function is invoked through its alias "live" (the
// API's routes, the table's stream, the queues, the schedule), and each
// has a CodeDeploy deployment group that shifts traffic to a new version
// as DeploymentType says (a canary by default, all at once when a
// development stack asks) and rolls back when the API's 5xx (from its
// access log) or the function's own errors alarm fires; CodeDeploy's role
// may only read and move those aliases and read those alarms.
func TestDeploysShiftTrafficAndRollBackOnAlarms(t *testing.T) {
	ids := sam.FunctionIDs(t)
	for params, config := range map[string]string{"": "Canary10Percent5Minutes", "DeploymentType=AllAtOnce": "AllAtOnce"} {
		var tpl *sam.Template
		if params == "" {
			tpl = sam.Transform(t)
		} else {
			tpl = sam.Transform(t, params)
		}
		raw := func(id string) string {
			b, _ := json.Marshal(tpl.Resources[id])
			return string(b)
		}
		role := raw("DeployRole")
		for _, fn := range sam.Sorted(ids) {
			id := ids[fn]
			base := strings.TrimSuffix(id, "Function")
			alias := raw(id + "Aliaslive")
			dg := raw(id + "DeploymentGroup")
			switch {
			case tpl.Resources[id+"Aliaslive"].Type != "AWS::Lambda::Alias" || !strings.Contains(alias, `"DeploymentGroupName":{"Ref":"`+id+`DeploymentGroup"}`):
				t.Errorf("%s: alias %s", fn, alias)
			case !strings.Contains(dg, `"ConfigName":"`+config+`"`) || !strings.Contains(dg, `"DEPLOYMENT_STOP_ON_ALARM"`) ||
				!strings.Contains(dg, `{"Name":{"Ref":"DeployServerErrorsAlarm"}}`) || !strings.Contains(dg, `{"Name":{"Ref":"`+base+`ErrorsAlarm"}}`) ||
				!strings.Contains(dg, `"ServiceRoleArn":{"Fn::GetAtt":["DeployRole","Arn"]}`):
				t.Errorf("%s (%s): deployment group %s", fn, params, dg)
			case !strings.Contains(role, fmt.Sprintf(`{"Fn::Sub":"${%s.Arn}:*"}`, id)) || !strings.Contains(role, `{"Fn::GetAtt":["`+base+`ErrorsAlarm","Arn"]}`):
				t.Errorf("%s: CodeDeploy's role does not name its alias or its alarm", fn)
			}
		}
		// Every invoker names an alias, never the function itself.
		for id, r := range tpl.Resources {
			var target string
			switch r.Type {
			case "AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping":
				target = fmt.Sprint(r.Properties["FunctionName"])
			case "AWS::Scheduler::Schedule":
				target = fmt.Sprint(r.Properties["Target"])
			case "AWS::ApiGatewayV2::Api":
				body := raw(id)
				if n := strings.Count(body, "/invocations"); n == 0 || strings.Count(body, "Aliaslive}/invocations") != n {
					t.Errorf("%s: %d of its %d integrations invoke an alias", id, strings.Count(body, "Aliaslive}/invocations"), n)
				}
				continue
			default:
				continue
			}
			if !strings.Contains(target, "Aliaslive") {
				t.Errorf("%s (%s) targets %s", id, r.Type, target)
			}
		}
		var statements []struct {
			Action   any
			Resource any
		}
		b, _ := json.Marshal(tpl.Resources["DeployRole"].Properties["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"])
		_ = json.Unmarshal(b, &statements)
		var actions []string
		for _, st := range statements {
			actions = append(actions, fmt.Sprint(st.Action))
		}
		if want := []string{"[lambda:GetAlias lambda:UpdateAlias lambda:GetProvisionedConcurrencyConfig]", "cloudwatch:DescribeAlarms"}; !slices.Equal(actions, want) {
			t.Errorf("CodeDeploy's role may %v, want %v", actions, want)
		}
	}
}

// TestLogGroupsTakeTheCustomersKey: every log group of the stack (each
// function's, the API's access log) is encrypted with LogsKmsKeyArn when
// one is given, and with CloudWatch Logs' own key otherwise.
func TestLogGroupsTakeTheCustomersKey(t *testing.T) {
	tpl := sam.Transform(t, "LogsKmsKeyArn=arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	groups := 0
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Logs::LogGroup" {
			continue
		}
		groups++
		key, _ := json.Marshal(r.Properties["KmsKeyId"])
		if string(key) != `{"Fn::If":["HasLogsKmsKey",{"Ref":"LogsKmsKeyArn"},{"Ref":"AWS::NoValue"}]}` {
			t.Errorf("%s: KmsKeyId %s", id, key)
		}
	}
	if want := len(sam.FunctionIDs(t)) + 1; groups != want {
		t.Errorf("%d log groups, want %d (each function's and the access log)", groups, want)
	}
	cond, _ := json.Marshal(tpl.Conditions["HasLogsKmsKey"])
	if string(cond) != `{"Fn::Not":[{"Fn::Equals":[{"Ref":"LogsKmsKeyArn"},""]}]}` {
		t.Errorf("HasLogsKmsKey: %s", cond)
	}
}

// TestTheTableIsBackedUpDaily: beside point-in-time recovery, AWS Backup
// backs the table up daily into a vault of the stack's, kept with the
// table, each recovery point kept BackupRetentionDays; its role is trusted
// by this account's AWS Backup only and may only back up this table and
// delete its backups.
func TestTheTableIsBackedUpDaily(t *testing.T) {
	tpl := sam.Transform(t)
	js := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	plan := js(tpl.Resources["TableBackupPlan"].Properties)
	if !strings.Contains(plan, `"ScheduleExpression":"cron(0 3 * * ? *)"`) || !strings.Contains(plan, `"DeleteAfterDays":{"Ref":"BackupRetentionDays"}`) ||
		!strings.Contains(plan, `"TargetBackupVault":{"Ref":"TableBackupVault"}`) {
		t.Fatalf("the plan: %s", plan)
	}
	if sel := js(tpl.Resources["TableBackupSelection"].Properties); !strings.Contains(sel, `"Resources":[{"Fn::GetAtt":["Table","Arn"]}]`) ||
		!strings.Contains(sel, `"IamRoleArn":{"Fn::GetAtt":["BackupRole","Arn"]}`) {
		t.Fatalf("the selection: %s", sel)
	}
	if v := tpl.Resources["TableBackupVault"]; v.DeletionPolicy != "Retain" {
		t.Fatalf("the vault goes with the stack: %+v", v)
	}
	role := tpl.Resources["BackupRole"]
	if trust := js(role.Properties["AssumeRolePolicyDocument"]); !strings.Contains(trust, "backup.amazonaws.com") ||
		!strings.Contains(trust, `"aws:SourceAccount":{"Ref":"AWS::AccountId"}`) {
		t.Fatalf("the backup role's trust: %s", trust)
	}
	want := `[{"Action":["dynamodb:DescribeTable","dynamodb:CreateBackup","dynamodb:StartAwsBackupJob","dynamodb:ListTagsOfResource"],"Effect":"Allow","Resource":{"Fn::GetAtt":["Table","Arn"]}},` +
		`{"Action":["dynamodb:DescribeBackup","dynamodb:DeleteBackup"],"Effect":"Allow","Resource":{"Fn::Sub":"${Table.Arn}/backup/*"}}]`
	if got := js(role.Properties["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]); got != want {
		t.Fatalf("the backup role may %s", got)
	}
	if p := tpl.Parameters["BackupRetentionDays"]; fmt.Sprint(p.Default) != "35" {
		t.Fatalf("BackupRetentionDays: %+v", p)
	}
}

// TestWebhookRetriesCannotStarveTheAPI: each queue trigger of the webhook
// functions is capped in concurrent executions (the retry queue at
// WebhookRetryConcurrency, the slow lane at 5), and the stream's at one
// per shard (no parallelization factor), so that a storm of retries
// cannot take the account's Lambda concurrency from the API's functions.
func TestWebhookRetriesCannotStarveTheAPI(t *testing.T) {
	tpl := sam.Transform(t)
	queues := 0
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Lambda::EventSourceMapping" {
			continue
		}
		source := fmt.Sprint(r.Properties["EventSourceArn"])
		scaling, _ := json.Marshal(r.Properties["ScalingConfig"])
		switch {
		case strings.Contains(source, "Queue"):
			queues++
			if !strings.Contains(string(scaling), `"MaximumConcurrency"`) {
				t.Errorf("%s (%s): no MaximumConcurrency", id, source)
			}
		case r.Properties["ParallelizationFactor"] != nil:
			t.Errorf("%s: a parallelization factor %v", id, r.Properties["ParallelizationFactor"])
		}
	}
	if queues != 2 {
		t.Fatalf("%d queue triggers, want the retry queue's and the slow lane's", queues)
	}
	if p := tpl.Parameters["WebhookRetryConcurrency"]; fmt.Sprint(p.Default) != "20" {
		t.Fatalf("WebhookRetryConcurrency: %+v", p)
	}
}
