# Commercial source -> GovCloud destination, planned against mock providers.

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
  mock_data "aws_s3_object" {
    defaults = { version_id = "3HL4kqtJlcpXroDTDmJ", etag = "d41d8cd98f00b204e9800998ecf8427e" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:111111111111:queue", url = "https://sqs.us-east-1.amazonaws.com/111111111111/queue" }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:us-east-1:111111111111:table/partition-s3-replicate" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:partition-s3-replicate-credentials-AbCdEf" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/partition-s3-replicate" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:111111111111:function:partition-s3-replicate" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:111111111111:rule/partition-s3-replicate-source" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:111111111111:partition-s3-replicate-alarms" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111111111111:role/partition-s3-replicate" }
  }
}

# Distinct ARNs for the queues, so the redrive assertion means something.
override_resource {
  target          = aws_sqs_queue.dlq
  override_during = plan
  values = {
    arn = "arn:aws:sqs:us-east-1:111111111111:partition-s3-replicate-dlq.fifo"
    url = "https://sqs.us-east-1.amazonaws.com/111111111111/partition-s3-replicate-dlq.fifo"
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
  environment        = "dev"
  source_bucket      = "source-bucket"
  source_prefixes    = ["data/", "with space/"]
  destination_bucket = "dest-bucket"
  destination_prefix = "replica/"
  destination_kms_key = {
    arn    = "arn:aws-us-gov:kms:us-gov-west-1:222222222222:key/11111111-2222-3333-4444-555555555555"
    key_id = "11111111-2222-3333-4444-555555555555"
  }
  source_kms_keys = [{
    arn    = "arn:aws:kms:us-east-1:111111111111:key/aaaaaaaa-2222-3333-4444-555555555555"
    key_id = "aaaaaaaa-2222-3333-4444-555555555555"
  }]
  deploy_s3zip = { bucket = "packages", prefix = "builds/" }
}

# Terraform starts ~4 provider processes per run block, so related assertions share one.
run "defaults" {
  command = plan

  # --- queue
  assert {
    condition     = aws_sqs_queue.main.fifo_queue && endswith(aws_sqs_queue.main.name, ".fifo")
    error_message = "The main queue must be a FIFO queue (per-key ordering)."
  }
  assert {
    condition     = aws_sqs_queue.dlq.fifo_queue && endswith(aws_sqs_queue.dlq.name, ".fifo")
    error_message = "The DLQ of a FIFO queue must itself be FIFO."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue.main.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq.arn && jsondecode(aws_sqs_queue.main.redrive_policy).maxReceiveCount == var.max_receive_count
    error_message = "The main queue must redrive to the DLQ after max_receive_count receives."
  }
  assert {
    condition     = aws_sqs_queue.main.visibility_timeout_seconds >= 6 * aws_lambda_function.this["replicate"].timeout
    error_message = "The queue's visibility timeout must be at least 6 x the replicate function's timeout."
  }
  assert {
    condition     = aws_sqs_queue.main.message_retention_seconds >= 345600 && aws_sqs_queue.dlq.message_retention_seconds >= 345600
    error_message = "Queues must keep messages at least 4 days."
  }
  assert {
    condition     = alltrue([for q in [aws_sqs_queue.main, aws_sqs_queue.dlq, aws_sqs_queue.events_dlq] : q.sqs_managed_sse_enabled])
    error_message = "Every queue must be encrypted at rest (SSE)."
  }
  assert {
    condition     = toset(keys(data.aws_iam_policy_document.tls_only)) == toset(["main", "dlq", "events_dlq"]) && length(data.aws_iam_policy_document.events_dlq.source_policy_documents) == 1
    error_message = "Every queue's policy must deny requests without TLS (the events DLQ's merges the TLS-only document)."
  }

  # --- event source mapping
  assert {
    condition     = contains(aws_lambda_event_source_mapping.replicate.function_response_types, "ReportBatchItemFailures")
    error_message = "The event source mapping must report batch item failures (a failed record must not fail the batch)."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.replicate.batch_size <= 10 && aws_lambda_event_source_mapping.replicate.event_source_arn == aws_sqs_queue.main.arn
    error_message = "The replicate function must read the main queue with batches of at most 10."
  }
  assert {
    condition     = length(aws_lambda_event_source_mapping.replicate.scaling_config) == 0
    error_message = "maximum_concurrency = null must leave the mapping's concurrency unlimited."
  }

  # --- event rule
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.source.event_pattern).detail.bucket.name == ["source-bucket"]
    error_message = "The rule must match only the source bucket."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.source.event_pattern).detail.object.key == [{ prefix = "data/" }, { prefix = "with+space/" }]
    error_message = "The rule must match the source prefixes, form-URL-encoded as EventBridge carries keys."
  }
  assert {
    condition     = toset(jsondecode(aws_cloudwatch_event_rule.source.event_pattern)["detail-type"]) == toset(["Object Created", "Object Deleted", "Object Tags Added", "Object Tags Deleted"])
    error_message = "The rule must match exactly the four handled S3 detail-types."
  }
  assert {
    condition     = aws_cloudwatch_event_target.relay.arn == aws_lambda_function.this["relay"].arn && aws_cloudwatch_event_target.relay.dead_letter_config[0].arn == aws_sqs_queue.events_dlq.arn && length(aws_cloudwatch_event_target.relay.retry_policy) == 1
    error_message = "The rule must target the relay function with a retry policy and a dead-letter queue."
  }
  assert {
    condition     = length(aws_s3_bucket_notification.source) == 0
    error_message = "The module must not touch the bucket's notification configuration unless enable_source_eventbridge is set."
  }

  # --- functions
  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.runtime == "nodejs22.x" && f.architectures == tolist(["arm64"]) && f.logging_config[0].log_format == "JSON"])
    error_message = "Both functions must run nodejs22.x on arm64 and log JSON."
  }
  assert {
    condition     = aws_lambda_function.this["relay"].handler == "relay.handler" && aws_lambda_function.this["replicate"].handler == "replicate.handler"
    error_message = "The handlers must be relay.handler and replicate.handler (docs/CONTRACTS.md)."
  }
  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.environment[0].variables["NODE_OPTIONS"] == "--enable-source-maps"])
    error_message = "Both functions must run with NODE_OPTIONS=--enable-source-maps."
  }
  assert {
    condition     = aws_lambda_function.this["replicate"].s3_bucket == "packages" && aws_lambda_function.this["replicate"].s3_key == "builds/partition-s3-replicate/dev.zip" && aws_lambda_function.this["replicate"].s3_object_version == "3HL4kqtJlcpXroDTDmJ"
    error_message = "deploy_s3zip must deploy <prefix>partition-s3-replicate/<environment>.zip pinned to its version id."
  }
  assert {
    condition     = aws_lambda_function.this["relay"].environment[0].variables["QUEUE_URL"] == aws_sqs_queue.main.url
    error_message = "The relay function must send to the main queue (QUEUE_URL)."
  }
  assert {
    condition     = aws_lambda_function.this["replicate"].environment[0].variables["TABLE_NAME"] == aws_dynamodb_table.state.name && aws_lambda_function.this["replicate"].environment[0].variables["DLQ_URL"] == aws_sqs_queue.dlq.url
    error_message = "The replicate function must get TABLE_NAME and DLQ_URL."
  }
  assert {
    condition = jsondecode(aws_lambda_function.this["replicate"].environment[0].variables["DESTINATIONS"]) == [{
      id                = "dest-bucket", bucket = "dest-bucket", region = "us-gov-west-1", secretArn = aws_secretsmanager_secret.destination.arn,
      destinationPrefix = "replica/", kmsKeyId = var.destination_kms_key.arn,
      deleteMarkers     = true, permanentDeletes = true, lifecycleExpirations = false
    }]
    error_message = "DESTINATIONS must be the JSON array of docs/CONTRACTS.md, without null fields."
  }
  assert {
    condition     = aws_lambda_function.this["replicate"].environment[0].variables["HISTORY_MODE"] == "all"
    error_message = "history_mode defaults to all."
  }

  # --- table
  assert {
    condition     = aws_dynamodb_table.state.hash_key == "pk" && aws_dynamodb_table.state.range_key == "sk" && toset([for a in aws_dynamodb_table.state.attribute : "${a.name}:${a.type}"]) == toset(["pk:S", "sk:S"])
    error_message = "The table must have string keys pk and sk."
  }
  assert {
    condition     = aws_dynamodb_table.state.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.state.point_in_time_recovery[0].enabled && aws_dynamodb_table.state.server_side_encryption[0].enabled
    error_message = "The table must be on-demand, with PITR and SSE."
  }

  # --- destination policy in destination partition
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.destination.statement : alltrue([for r in s.resources : startswith(r, "arn:aws-us-gov:")])])
    error_message = "The destination policy must name only ARNs in the destination partition (arn:aws-us-gov:)."
  }
  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.destination.statement : s.resources])) == toset([
      "arn:aws-us-gov:s3:::dest-bucket", "arn:aws-us-gov:s3:::dest-bucket/replica/*", var.destination_kms_key.arn
    ])
    error_message = "The destination user may only use the destination bucket, its prefix and the destination key."
  }
  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.destination.statement : s.actions])) == toset([
      "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketVersioning", "s3:PutObject", "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts", "s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:DeleteObjectTagging",
      "s3:DeleteObjectVersionTagging", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:GetObjectVersion",
      "kms:GenerateDataKey", "kms:Decrypt",
    ])
    error_message = "The destination user may only do what the replicate function does (docs/CONTRACTS.md)."
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.destination.statement : s.actions if s.sid == "DestinationKey"]) == toset(["kms:GenerateDataKey", "kms:Decrypt"])
    error_message = "The destination user gets only kms:GenerateDataKey and kms:Decrypt on the destination key (SSE-KMS, multipart included, needs no kms:Encrypt)."
  }
  assert {
    condition     = flatten([for s in data.aws_iam_policy_document.destination.statement : [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"] if s.sid == "DestinationKey"]) == ["StringEquals kms:ViaService s3.us-gov-west-1.amazonaws.com"]
    error_message = "The destination key may be used only through S3 in the destination region: kms:ViaService = s3.<destination region>.<destination dns suffix>."
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.destination.statement : s.effect == "Allow" && !contains(s.resources, "*") && !contains(s.actions, "*") && !contains(s.actions, "s3:*")])
    error_message = "The destination policy must not allow any action on every resource."
  }

  # --- function role cannot write source
  assert {
    condition = alltrue(flatten([for s in data.aws_iam_policy_document.replicate.statement : [
      for a in s.actions : can(regex("^s3:(Get|List)", a)) if startswith(a, "s3:")
    ]]))
    error_message = "The replicate function may only read (s3:Get*/s3:List*) in S3."
  }
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.replicate.statement : alltrue([
      for r in s.resources : contains(["arn:aws:s3:::source-bucket", "arn:aws:s3:::source-bucket/data/*", "arn:aws:s3:::source-bucket/with space/*"], r)
    ]) if anytrue([for a in s.actions : startswith(a, "s3:")])])
    error_message = "The replicate function's S3 permissions must be limited to the source bucket and prefixes."
  }
  assert {
    condition     = !anytrue([for s in data.aws_iam_policy_document.relay.statement : anytrue([for a in s.actions : startswith(a, "s3:")])])
    error_message = "The relay function needs no S3 access."
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.replicate.statement : s.resources if s.sid == "SourceKeys"]) == toset([var.source_kms_keys[0].arn]) && one([for s in data.aws_iam_policy_document.replicate.statement : s.actions if s.sid == "SourceKeys"]) == toset(["kms:Decrypt"])
    error_message = "The replicate function gets only kms:Decrypt on the source keys."
  }
  assert {
    condition     = flatten([for s in data.aws_iam_policy_document.replicate.statement : [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"] if s.sid == "SourceKeys"]) == ["StringEquals kms:ViaService s3.us-east-1.amazonaws.com"]
    error_message = "The replicate function may decrypt with the source keys only through S3 in the source region: kms:ViaService = s3.<source region>.<source dns suffix>."
  }

  # --- replicate role on the queues: requeue by SendMessage, never ChangeMessageVisibility
  assert {
    condition     = toset(flatten([for s in data.aws_iam_policy_document.replicate.statement : s.resources if contains(s.actions, "sqs:SendMessage")])) == toset([aws_sqs_queue.main.arn, aws_sqs_queue.dlq.arn])
    error_message = "The replicate function must be able to SendMessage to the main queue (requeue of a checkpointed copy) and to the DLQ, and to no other queue."
  }
  assert {
    condition     = !anytrue([for s in data.aws_iam_policy_document.replicate.statement : contains(s.actions, "sqs:ChangeMessageVisibility")])
    error_message = "The replicate function requeues by SendMessage + DeleteMessage; it must not get sqs:ChangeMessageVisibility."
  }
  assert {
    condition     = toset(flatten([for s in data.aws_iam_policy_document.replicate.statement : s.actions if contains(s.resources, aws_sqs_queue.main.arn)])) == toset(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:SendMessage"])
    error_message = "On the main queue the replicate function gets exactly ReceiveMessage, DeleteMessage, GetQueueAttributes and SendMessage (docs/CONTRACTS.md)."
  }
  assert {
    condition     = aws_sqs_queue.main.sqs_managed_sse_enabled && aws_sqs_queue.main.kms_master_key_id == null
    error_message = "The main queue must use SQS-managed SSE, not a customer KMS key: the replicate role's requeue SendMessage has no kms:GenerateDataKey/kms:Decrypt on a queue key (add them with one)."
  }
  assert {
    condition     = aws_lambda_function.this["replicate"].environment[0].variables["QUEUE_URL"] == aws_sqs_queue.main.url
    error_message = "The replicate function must get QUEUE_URL (the main queue) to requeue checkpointed copies."
  }

  # --- secret value set out of band by default
  assert {
    condition     = length(aws_iam_access_key.destination) == 0 && length(aws_secretsmanager_secret_version.destination) == 0
    error_message = "By default no access key is created, so none reaches the state."
  }
  assert {
    condition     = aws_secretsmanager_secret.destination.name == "partition-s3-replicate-credentials"
    error_message = "The secret is named <name>-credentials by default."
  }
}

# Every option off its default at once: concurrency limit, whole bucket with
# EventBridge turned on, e-mail alarms, and the opt-in access key.
run "options" {
  command = plan

  variables {
    maximum_concurrency       = 5
    source_prefixes           = []
    enable_source_eventbridge = true
    alarm_email               = "ops@example.com"
    create_access_key         = true
  }

  override_resource {
    target          = aws_iam_access_key.destination
    override_during = plan
    values = {
      id     = "AKIAMOCKMOCKMOCKMOCK"
      secret = "mock/secret+access+key"
    }
  }

  assert {
    condition     = aws_lambda_event_source_mapping.replicate.scaling_config[0].maximum_concurrency == 5
    error_message = "maximum_concurrency must set the event source mapping's scaling_config."
  }
  assert {
    condition     = !can(jsondecode(aws_cloudwatch_event_rule.source.event_pattern).detail.object)
    error_message = "Without source_prefixes the rule must match every key of the bucket."
  }
  assert {
    condition     = aws_s3_bucket_notification.source[0].eventbridge
    error_message = "enable_source_eventbridge must turn on EventBridge notifications for the source bucket."
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(["relay-errors", "replicate-errors", "relay-duration", "replicate-duration", "dlq-not-empty", "events-dlq-not-empty", "oldest-message-age"])
    error_message = "There must be alarms for function errors, duration, both DLQs and the oldest message age."
  }
  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : a.alarm_actions == toset([aws_sns_topic.alarms.arn])])
    error_message = "Every alarm must notify the SNS topic."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["replicate-duration"].threshold == 0.8 * 900 * 1000
    error_message = "The duration alarm must fire above 80% of the replicate function's timeout (in ms)."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["dlq-not-empty"].threshold == 0 && aws_cloudwatch_metric_alarm.this["dlq-not-empty"].comparison_operator == "GreaterThanThreshold"
    error_message = "The DLQ alarm must fire as soon as the DLQ holds a message."
  }
  assert {
    condition     = aws_sns_topic_subscription.email[0].endpoint == "ops@example.com" && aws_sns_topic_subscription.email[0].topic_arn == aws_sns_topic.alarms.arn
    error_message = "alarm_email must subscribe to the alarm topic."
  }
  assert {
    condition = alltrue([for v in [
      output.queue_url, output.queue_arn, output.dlq_url, output.dlq_arn, output.events_dlq_url, output.events_dlq_arn,
      output.relay_function_name, output.replicate_function_name, output.replicate_role_arn, output.table_name,
      output.event_rule_arn, output.secret_arn, output.destination_user_name, output.destination_user_arn, output.sns_topic_arn,
    ] : !strcontains(v, "AKIAMOCK") && !strcontains(v, "mock/secret")])
    error_message = "No output may contain the access key id or the secret access key."
  }
  assert {
    condition     = keys(jsondecode(aws_secretsmanager_secret_version.destination[0].secret_string)) == ["accesskey", "accountid", "partition", "region", "secretaccesskey", "user"]
    error_message = "With create_access_key the secret must hold user, accesskey, secretaccesskey, partition, accountid, region."
  }
  assert {
    condition     = jsondecode(aws_secretsmanager_secret_version.destination[0].secret_string).partition == "aws-us-gov"
    error_message = "The secret's partition must be the destination partition."
  }
}
