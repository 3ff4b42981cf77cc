# The optional backfill state machine (backfill.tf), planned against mock providers. Every
# resource whose identity an assertion compares has its own ARN.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { region = "us-east-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }
  mock_data "aws_s3_bucket" {
    defaults = { bucket_region = "us-east-1" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:111111111111:some-queue", url = "https://sqs.us-east-1.amazonaws.com/111111111111/some-queue" }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:us-east-1:111111111111:table/partition-s3-replicate" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:partition-s3-replicate-credentials-AbCdEf" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/some-function" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:111111111111:function:some-function" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:111111111111:rule/partition-s3-replicate-source" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:111111111111:partition-s3-replicate-alarms" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111111111111:role/some-role" }
  }
  mock_resource "aws_sfn_state_machine" {
    defaults = { arn = "arn:aws:states:us-east-1:111111111111:stateMachine:partition-s3-replicate-backfill" }
  }
}

override_resource {
  target          = aws_sqs_queue.main
  override_during = plan
  values = {
    arn = "arn:aws:sqs:us-east-1:111111111111:partition-s3-replicate.fifo"
    url = "https://sqs.us-east-1.amazonaws.com/111111111111/partition-s3-replicate.fifo"
  }
}

override_resource {
  target          = aws_sqs_queue.dlq
  override_during = plan
  values = {
    arn = "arn:aws:sqs:us-east-1:111111111111:partition-s3-replicate-dlq.fifo"
    url = "https://sqs.us-east-1.amazonaws.com/111111111111/partition-s3-replicate-dlq.fifo"
  }
}

override_resource {
  target          = aws_lambda_function.backfill
  override_during = plan
  values = {
    arn           = "arn:aws:lambda:us-east-1:111111111111:function:partition-s3-replicate-backfill"
    function_name = "partition-s3-replicate-backfill"
  }
}

override_resource {
  target          = aws_cloudwatch_log_group.backfill
  override_during = plan
  values = {
    arn = "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/partition-s3-replicate-backfill"
  }
}

override_resource {
  target          = aws_iam_role.backfill_states
  override_during = plan
  values = {
    arn = "arn:aws:iam::111111111111:role/partition-s3-replicate-backfill-states"
  }
}

mock_provider "aws" {
  alias           = "destination"
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws-us-gov", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { region = "us-gov-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "222222222222" }
  }
  mock_resource "aws_iam_user" {
    defaults = { arn = "arn:aws-us-gov:iam::222222222222:user/partition-s3-replicate" }
  }
}

variables {
  environment                = "dev"
  source_bucket              = "source-bucket"
  source_prefixes            = ["data/", "with space/"]
  destination_bucket         = "dest-bucket"
  deploy_s3zip               = { bucket = "packages", prefix = "builds/" }
  enable_backfill            = true
  backfill_report_bucket     = "report-bucket"
  backfill_inventory_buckets = ["inventory-bucket"]
  backfill_max_concurrency   = 25
  backfill_batch_size        = 400
}

run "state_machine" {
  command = plan

  # --- the definition: item readers, batches, concurrency, the function it runs
  assert {
    condition     = jsondecode(aws_sfn_state_machine.backfill[0].definition).States.EnqueueFromListing.ItemReader.Resource == "arn:aws:states:::s3:listObjectsV2" && jsondecode(aws_sfn_state_machine.backfill[0].definition).States.EnqueueFromListing.ItemReader.Parameters.Bucket == "source-bucket"
    error_message = "The listing reader must be ListObjectsV2 of the source bucket."
  }
  assert {
    condition     = jsondecode(aws_sfn_state_machine.backfill[0].definition).States.EnqueueFromInventory.ItemReader.ReaderConfig.InputType == "MANIFEST"
    error_message = "The inventory reader must read an S3 Inventory manifest."
  }
  assert {
    condition = alltrue([for s in ["EnqueueFromListing", "EnqueueFromInventory"] :
      jsondecode(aws_sfn_state_machine.backfill[0].definition).States[s].MaxConcurrency == 25 &&
      jsondecode(aws_sfn_state_machine.backfill[0].definition).States[s].ItemBatcher.MaxItemsPerBatch == 400 &&
      jsondecode(aws_sfn_state_machine.backfill[0].definition).States[s].ToleratedFailurePercentage == 0 &&
      jsondecode(aws_sfn_state_machine.backfill[0].definition).States[s].ResultWriter.Parameters.Bucket == "report-bucket"
    ])
    error_message = "Both Distributed Maps must take the concurrency, batch size, tolerated failures and report bucket of the variables."
  }
  assert {
    condition     = jsondecode(aws_sfn_state_machine.backfill[0].definition).States.EnqueueFromListing.ItemProcessor.States.EnqueueBatch.Parameters.FunctionName == aws_lambda_function.backfill[0].arn
    error_message = "The child batches must run the backfill function."
  }
  assert {
    condition     = aws_lambda_function.backfill[0].handler == "backfill.handler" && aws_lambda_function.backfill[0].environment[0].variables.QUEUE_URL == aws_sqs_queue.main.url && aws_lambda_function.backfill[0].environment[0].variables.SOURCE_BUCKET == "source-bucket"
    error_message = "The backfill function is the zip's third handler, sending to the main queue of the source bucket."
  }
  assert {
    condition     = aws_sfn_state_machine.backfill[0].role_arn == aws_iam_role.backfill_states[0].arn
    error_message = "The state machine must run with its own role."
  }

  # --- the state machine's role: least privilege
  assert {
    condition     = one([for s in data.aws_iam_policy_document.backfill_states[0].statement : s.resources if s.sid == "InvokeBackfill"]) == toset([aws_lambda_function.backfill[0].arn, "${aws_lambda_function.backfill[0].arn}:*"])
    error_message = "The state machine may invoke the backfill function only."
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.backfill_states[0].statement : s.resources if s.sid == "ChildExecutions"]) == toset(["arn:aws:states:us-east-1:111111111111:stateMachine:partition-s3-replicate-backfill"])
    error_message = "Child workflow executions may only be of the backfill state machine itself."
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.backfill_states[0].statement : s.resources if s.sid == "ListSource"]) == toset(["arn:aws:s3:::source-bucket"]) && flatten([for s in data.aws_iam_policy_document.backfill_states[0].statement : [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"] if s.sid == "ListSource"]) == ["StringLike s3:prefix data/*,with space/*"]
    error_message = "The item reader may list the source bucket under the configured prefixes only."
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.backfill_states[0].statement : s.resources if s.sid == "WriteResults"]) == toset(["arn:aws:s3:::report-bucket/partition-s3-replicate/backfill/*"]) && one([for s in data.aws_iam_policy_document.backfill_states[0].statement : s.resources if s.sid == "ReadInventory"]) == toset(["arn:aws:s3:::inventory-bucket/*"])
    error_message = "Results go to the report prefix only; inventories are read from the named buckets only."
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.backfill_states[0].statement : !contains(s.resources, "*") && !anytrue([for a in s.actions : endswith(a, ":*")])])
    error_message = "No wildcard resource or action in the state machine's role."
  }

  # --- the backfill function's role
  assert {
    condition     = one([for s in data.aws_iam_policy_document.backfill[0].statement : s.resources if s.sid == "Enqueue"]) == toset([aws_sqs_queue.main.arn]) && one([for s in data.aws_iam_policy_document.backfill[0].statement : s.actions if s.sid == "Enqueue"]) == toset(["sqs:SendMessage"])
    error_message = "The backfill function may only send to the main queue (not the DLQ)."
  }
  assert {
    condition     = !anytrue([for s in data.aws_iam_policy_document.backfill[0].statement : anytrue([for a in s.actions : startswith(a, "dynamodb:") || a == "s3:GetObjectVersion" || a == "s3:DeleteObject"])])
    error_message = "The backfill function neither reads the table nor the source's objects nor deletes anything: it only enqueues."
  }
  assert {
    condition     = flatten([for s in data.aws_iam_policy_document.backfill[0].statement : [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"] if s.sid == "SourceKeys"]) == ["StringLike s3:prefix data/*,with space/*"]
    error_message = "The backfill function lists the source under the configured prefixes only."
  }

  # --- alarms and outputs
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.backfill)) == toset(["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"]) && alltrue([for a in aws_cloudwatch_metric_alarm.backfill : a.dimensions.StateMachineArn == aws_sfn_state_machine.backfill[0].arn && a.alarm_actions == toset([aws_sns_topic.alarms.arn])])
    error_message = "A failed, timed-out or aborted backfill run must alarm to the module's topic."
  }
  assert {
    condition     = output.backfill_reports == "s3://report-bucket/partition-s3-replicate/backfill/"
    error_message = "The reports output must name the report location."
  }
  assert {
    condition     = output.cli_environment.QUEUE_URL == aws_sqs_queue.main.url && output.cli_environment.DLQ_URL == aws_sqs_queue.dlq.url && output.cli_environment.SOURCE_BUCKET == "source-bucket" && jsondecode(output.cli_environment.DESTINATIONS)[0].bucket == "dest-bucket"
    error_message = "cli_environment must give the CLI the function's queue, DLQ, source and destinations."
  }
}

run "off_by_default" {
  command = plan

  variables {
    enable_backfill = false
  }

  assert {
    condition     = length(aws_sfn_state_machine.backfill) == 0 && length(aws_lambda_function.backfill) == 0 && length(aws_cloudwatch_metric_alarm.backfill) == 0 && output.backfill_state_machine_arn == null
    error_message = "Without enable_backfill nothing of the backfill is created."
  }
}

run "report_bucket_required" {
  command = plan

  variables {
    backfill_report_bucket = null
  }

  expect_failures = [aws_lambda_function.backfill]
}

run "bad_inputs" {
  command = plan

  variables {
    backfill_max_concurrency = 0
    backfill_report_prefix   = "/no-leading-slash"
  }

  expect_failures = [var.backfill_max_concurrency, var.backfill_report_prefix]
}

run "roles_follow_the_organisation" {
  command = plan

  variables {
    iam_role_path                     = "/replication/"
    iam_role_permissions_boundary_arn = "arn:aws:iam::111111111111:policy/boundary"
    secret_kms_key_arn                = "arn:aws:kms:us-east-1:111111111111:key/secret-key"
  }

  assert {
    condition     = alltrue([for r in concat(aws_iam_role.backfill, aws_iam_role.backfill_states) : r.path == "/replication/" && r.permissions_boundary == "arn:aws:iam::111111111111:policy/boundary"])
    error_message = "The backfill roles must take the module's IAM path and permissions boundary."
  }

  assert {
    condition     = strcontains(jsonencode(one([for st in data.aws_iam_policy_document.backfill[0].statement : st.condition if st.sid == "SecretKey"])), "\"variable\":\"kms:ViaService\"") && strcontains(jsonencode(one([for st in data.aws_iam_policy_document.backfill[0].statement : st.condition if st.sid == "SecretKey"])), "secretsmanager.us-east-1.amazonaws.com")
    error_message = "The backfill role may use the secret's key only through Secrets Manager."
  }
}
