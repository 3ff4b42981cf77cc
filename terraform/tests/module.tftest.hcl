# Commercial source -> GovCloud destination (destination_bucket), planned against mock
# providers. Every resource an assertion compares has its own ARN, name and id, and every
# policy document its own JSON, so "X points at Y" fails when X points at anything else.

mock_provider "aws" {

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
  mock_data "aws_s3_object" {
    defaults = { version_id = "3HL4kqtJlcpXroDTDmJ", etag = "d41d8cd98f00b204e9800998ecf8427e" }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:us-east-1:111111111111:table/partition-s3-replicate" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:partition-s3-replicate-credentials-AbCdEf", id = "arn:aws:secretsmanager:us-east-1:111111111111:secret:partition-s3-replicate-credentials-AbCdEf" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:111111111111:rule/partition-s3-replicate-source" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:111111111111:partition-s3-replicate-alarms" }
  }
}

mock_provider "aws" {
  alias = "destination"

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

# ---------------------------------------------------------------- distinct identities
override_resource {
  target = aws_sqs_queue.main
  values = { arn = "arn:aws:sqs:us-east-1:111111111111:main.fifo", url = "https://sqs.us-east-1.amazonaws.com/111111111111/main.fifo", id = "https://sqs.us-east-1.amazonaws.com/111111111111/main.fifo" }
}
override_resource {
  target = aws_sqs_queue.dlq
  values = { arn = "arn:aws:sqs:us-east-1:111111111111:dlq.fifo", url = "https://sqs.us-east-1.amazonaws.com/111111111111/dlq.fifo", id = "https://sqs.us-east-1.amazonaws.com/111111111111/dlq.fifo" }
}
override_resource {
  target = aws_sqs_queue.events_dlq
  values = { arn = "arn:aws:sqs:us-east-1:111111111111:events-dlq", url = "https://sqs.us-east-1.amazonaws.com/111111111111/events-dlq", id = "https://sqs.us-east-1.amazonaws.com/111111111111/events-dlq" }
}
override_resource {
  target = aws_lambda_function.relay
  values = { arn = "arn:aws:lambda:us-east-1:111111111111:function:relay" }
}
override_resource {
  target = aws_lambda_function.replicate
  values = { arn = "arn:aws:lambda:us-east-1:111111111111:function:replicate" }
}
override_resource {
  target = aws_iam_role.function["relay"]
  values = { arn = "arn:aws:iam::111111111111:role/relay", id = "partition-s3-replicate-relay" }
}
override_resource {
  target = aws_iam_role.function["replicate"]
  values = { arn = "arn:aws:iam::111111111111:role/replicate", id = "partition-s3-replicate-replicate" }
}
override_resource {
  target = aws_cloudwatch_log_group.function["relay"]
  values = { arn = "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/partition-s3-replicate-relay" }
}
override_resource {
  target = aws_cloudwatch_log_group.function["replicate"]
  values = { arn = "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/partition-s3-replicate-replicate" }
}
override_data {
  target = data.aws_iam_policy_document.lambda_assume
  values = { json = "{\"doc\":\"lambda_assume\"}" }
}
override_data {
  target = data.aws_iam_policy_document.relay
  values = { json = "{\"doc\":\"relay\"}" }
}
override_data {
  target = data.aws_iam_policy_document.replicate
  values = { json = "{\"doc\":\"replicate\"}" }
}
override_data {
  target = data.aws_iam_policy_document.secret
  values = { json = "{\"doc\":\"secret\"}" }
}
override_data {
  target = data.aws_iam_policy_document.tls_only["main"]
  values = { json = "{\"doc\":\"tls main\"}" }
}
override_data {
  target = data.aws_iam_policy_document.tls_only["dlq"]
  values = { json = "{\"doc\":\"tls dlq\"}" }
}
override_data {
  target = data.aws_iam_policy_document.events_dlq
  values = { json = "{\"doc\":\"events dlq\"}" }
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

# Runs apply against the mocks: policy documents that name resources being created are read
# only then. Terraform starts ~4 provider processes per run block, so assertions share runs.
run "wiring" {
  command = apply

  # --- events -> relay -> queue -> replicate
  assert {
    condition     = aws_cloudwatch_event_target.relay.rule == aws_cloudwatch_event_rule.source.name && aws_cloudwatch_event_target.relay.arn == aws_lambda_function.relay.arn
    error_message = "The rule must target the relay function."
  }
  assert {
    condition     = aws_cloudwatch_event_target.relay.dead_letter_config[0].arn == aws_sqs_queue.events_dlq.arn && length(aws_cloudwatch_event_target.relay.retry_policy) == 1
    error_message = "The rule's target must retry and dead-letter to the events DLQ."
  }
  assert {
    condition     = aws_lambda_permission.events.function_name == aws_lambda_function.relay.function_name && aws_lambda_permission.events.principal == "events.amazonaws.com" && aws_lambda_permission.events.action == "lambda:InvokeFunction"
    error_message = "EventBridge must be allowed to invoke the relay function (and only that)."
  }
  assert {
    condition     = aws_lambda_permission.events.source_arn == aws_cloudwatch_event_rule.source.arn && aws_lambda_permission.events.source_account == "111111111111"
    error_message = "The relay's invoke permission must be limited to the module's rule in the source account."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.replicate.function_name == aws_lambda_function.replicate.arn && aws_lambda_event_source_mapping.replicate.event_source_arn == aws_sqs_queue.main.arn
    error_message = "The event source mapping must feed the main queue to the replicate function."
  }
  assert {
    condition     = contains(aws_lambda_event_source_mapping.replicate.function_response_types, "ReportBatchItemFailures") && aws_lambda_event_source_mapping.replicate.batch_size == 10 && length(aws_lambda_event_source_mapping.replicate.scaling_config) == 0
    error_message = "The event source mapping must report batch item failures, with batches of 10 and no concurrency limit by default."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue.main.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq.arn && jsondecode(aws_sqs_queue.main.redrive_policy).maxReceiveCount == 5
    error_message = "The main queue must redrive to the DLQ after max_receive_count receives."
  }
  assert {
    condition     = aws_lambda_function.relay.dead_letter_config[0].target_arn == aws_sqs_queue.events_dlq.arn && length(aws_lambda_function.replicate.dead_letter_config) == 0
    error_message = "The relay's failed async invocations must go to the events DLQ (the replicate function is invoked synchronously)."
  }

  # --- functions: role, log group, handler, environment
  assert {
    condition     = aws_lambda_function.relay.role == aws_iam_role.function["relay"].arn && aws_lambda_function.replicate.role == aws_iam_role.function["replicate"].arn
    error_message = "Each function must run with its own role."
  }
  assert {
    condition     = aws_lambda_function.relay.logging_config[0].log_group == aws_cloudwatch_log_group.function["relay"].name && aws_lambda_function.replicate.logging_config[0].log_group == aws_cloudwatch_log_group.function["replicate"].name
    error_message = "Each function must log to its own log group."
  }
  assert {
    condition     = aws_lambda_function.relay.handler == "relay.handler" && aws_lambda_function.replicate.handler == "replicate.handler"
    error_message = "The handlers must be relay.handler and replicate.handler (docs/CONTRACTS.md)."
  }
  assert {
    condition     = alltrue([for f in [aws_lambda_function.relay, aws_lambda_function.replicate] : f.runtime == "nodejs22.x" && f.architectures == tolist(["arm64"]) && f.logging_config[0].log_format == "JSON" && f.environment[0].variables["NODE_OPTIONS"] == "--enable-source-maps"])
    error_message = "Both functions must run nodejs22.x on arm64, log JSON and enable source maps."
  }
  assert {
    condition     = aws_lambda_function.replicate.s3_bucket == "packages" && aws_lambda_function.replicate.s3_key == "builds/partition-s3-replicate/dev.zip" && aws_lambda_function.replicate.s3_object_version == "3HL4kqtJlcpXroDTDmJ"
    error_message = "deploy_s3zip must deploy <prefix>partition-s3-replicate/<environment>.zip pinned to its version id."
  }
  assert {
    condition     = aws_lambda_function.relay.environment[0].variables["QUEUE_URL"] == aws_sqs_queue.main.url && aws_lambda_function.replicate.environment[0].variables["QUEUE_URL"] == aws_sqs_queue.main.url
    error_message = "Both functions must get the main queue's URL (relay: where to send; replicate: where a checkpointed copy is requeued)."
  }
  assert {
    condition     = aws_lambda_function.replicate.environment[0].variables["TABLE_NAME"] == aws_dynamodb_table.state.name && aws_lambda_function.replicate.environment[0].variables["DLQ_URL"] == aws_sqs_queue.dlq.url
    error_message = "The replicate function must get TABLE_NAME and DLQ_URL (the FIFO DLQ)."
  }
  assert {
    condition     = aws_lambda_function.replicate.environment[0].variables["MAX_RECEIVE_COUNT"] == "5" && aws_lambda_function.replicate.environment[0].variables["FAILURE_TOPIC_ARN"] == aws_sns_topic.alarms.arn
    error_message = "The replicate function must get MAX_RECEIVE_COUNT (the redrive's) and FAILURE_TOPIC_ARN (the module's topic by default)."
  }
  assert {
    condition     = aws_lambda_function.replicate.environment[0].variables["RECORDS_IN_FLIGHT"] == "10" && aws_lambda_function.replicate.environment[0].variables["PARTS_IN_FLIGHT"] == "4" && aws_lambda_function.replicate.environment[0].variables["AWS_REQUEST_CHECKSUM_CALCULATION"] == "WHEN_REQUIRED"
    error_message = "The replicate function must get RECORDS_IN_FLIGHT and PARTS_IN_FLIGHT from their variables, and no second checksum of each body (WHEN_REQUIRED)."
  }
  assert {
    condition     = alltrue([for f in [aws_lambda_function.relay, aws_lambda_function.replicate] : f.environment[0].variables["POWERTOOLS_SERVICE_NAME"] == "partition-s3-replicate" && f.environment[0].variables["POWERTOOLS_METRICS_NAMESPACE"] == "PartitionS3Replicate/partition-s3-replicate"])
    error_message = "Both functions' metrics must carry this instance's service name and namespace (derived from name)."
  }
  assert {
    condition = jsondecode(aws_lambda_function.replicate.environment[0].variables["DESTINATIONS"]) == [{
      id                = "dest-bucket", bucket = "dest-bucket", region = "us-gov-west-1", secretArn = aws_secretsmanager_secret.destination["default"].arn,
      destinationPrefix = "replica/", kmsKeyId = var.destination_kms_key.arn,
      deleteMarkers     = true, permanentDeletes = true, lifecycleExpirations = false
    }]
    error_message = "DESTINATIONS must be the JSON array of docs/CONTRACTS.md, without null fields, its id the bucket name as before."
  }
  assert {
    condition     = aws_lambda_function.replicate.environment[0].variables["HISTORY_MODE"] == "all" && !contains(keys(aws_lambda_function.relay.environment[0].variables), "DESTINATIONS")
    error_message = "history_mode defaults to all; the relay function gets no destinations."
  }

  # --- event rule
  assert {
    condition     = aws_cloudwatch_event_rule.source.state == "ENABLED" && terraform_data.replicate_since.triggers_replace == null
    error_message = "enabled defaults to true: the rule is on, and REPLICATE_SINCE keeps its first value."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.source.event_pattern).detail.bucket.name == ["source-bucket"] && jsondecode(aws_cloudwatch_event_rule.source.event_pattern).source == ["aws.s3"]
    error_message = "The rule must match only S3 events of the source bucket."
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
    condition     = length(aws_s3_bucket_notification.source) == 0
    error_message = "The module must not touch the bucket's notification configuration unless enable_source_eventbridge is set."
  }

  # --- queues and their policies
  assert {
    condition     = aws_sqs_queue.main.fifo_queue && endswith(aws_sqs_queue.main.name, ".fifo") && aws_sqs_queue.dlq.fifo_queue && endswith(aws_sqs_queue.dlq.name, ".fifo") && aws_sqs_queue.events_dlq.fifo_queue != true
    error_message = "The main queue and its DLQ must be FIFO (per-key order); the events DLQ standard (EventBridge requires it)."
  }
  assert {
    condition     = aws_sqs_queue.main.visibility_timeout_seconds == 6 * aws_lambda_function.replicate.timeout
    error_message = "The queue's visibility timeout must be at least 6 x the replicate function's timeout."
  }
  assert {
    condition     = aws_sqs_queue.main.message_retention_seconds >= 345600 && aws_sqs_queue.dlq.message_retention_seconds == 1209600
    error_message = "Queues must keep messages at least 4 days, the DLQ 14."
  }
  assert {
    condition     = alltrue([for q in [aws_sqs_queue.main, aws_sqs_queue.dlq, aws_sqs_queue.events_dlq] : q.sqs_managed_sse_enabled && q.kms_master_key_id == null])
    error_message = "Every queue must use SQS-managed SSE: the roles' SendMessage has no KMS permission for a queue key."
  }
  assert {
    condition     = aws_sqs_queue_policy.main.queue_url == aws_sqs_queue.main.id && aws_sqs_queue_policy.main.policy == data.aws_iam_policy_document.tls_only["main"].json
    error_message = "The main queue's policy must be its TLS-only document."
  }
  assert {
    condition     = aws_sqs_queue_policy.dlq.queue_url == aws_sqs_queue.dlq.id && aws_sqs_queue_policy.dlq.policy == data.aws_iam_policy_document.tls_only["dlq"].json
    error_message = "The DLQ's policy must be its TLS-only document."
  }
  assert {
    condition     = aws_sqs_queue_policy.events_dlq.queue_url == aws_sqs_queue.events_dlq.id && aws_sqs_queue_policy.events_dlq.policy == data.aws_iam_policy_document.events_dlq.json && data.aws_iam_policy_document.events_dlq.source_policy_documents == tolist([data.aws_iam_policy_document.tls_only["events_dlq"].json])
    error_message = "The events DLQ's policy must merge its TLS-only document with the EventBridge statement."
  }
  assert {
    condition = alltrue([for k, q in { main = aws_sqs_queue.main, dlq = aws_sqs_queue.dlq, events_dlq = aws_sqs_queue.events_dlq } : [for s in data.aws_iam_policy_document.tls_only[k].statement : {
      effect     = s.effect, actions = s.actions, resources = s.resources, principals = [for p in s.principals : "${p.type}:${join(",", p.identifiers)}"]
      conditions = [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]
      }] == [{
      effect = "Deny", actions = toset(["sqs:*"]), resources = toset([q.arn]), principals = ["*:*"], conditions = ["Bool aws:SecureTransport false"]
    }]])
    error_message = "Each queue's TLS-only document must deny every request without TLS on that queue."
  }
  assert {
    condition = [for s in data.aws_iam_policy_document.events_dlq.statement : {
      actions    = s.actions, resources = s.resources, principals = [for p in s.principals : "${p.type}:${join(",", p.identifiers)}"]
      conditions = [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]
      }] == [{
      actions    = toset(["sqs:SendMessage"]), resources = toset([aws_sqs_queue.events_dlq.arn]), principals = ["Service:events.amazonaws.com"]
      conditions = ["ArnEquals aws:SourceArn ${aws_cloudwatch_event_rule.source.arn}"]
    }]
    error_message = "Only the module's rule (through EventBridge) may send to the events DLQ."
  }

  # --- roles: trust, attached policies
  assert {
    condition     = alltrue([for r in aws_iam_role.function : r.assume_role_policy == data.aws_iam_policy_document.lambda_assume.json && r.path == "/" && r.permissions_boundary == null])
    error_message = "Both roles must trust the Lambda service only (the lambda_assume document), at path / without a boundary by default."
  }
  assert {
    condition = [for s in data.aws_iam_policy_document.lambda_assume.statement : {
      actions = s.actions, principals = [for p in s.principals : "${p.type}:${join(",", p.identifiers)}"], conditions = length(s.condition)
    }] == [{ actions = toset(["sts:AssumeRole"]), principals = ["Service:lambda.amazonaws.com"], conditions = 0 }]
    error_message = "The roles' trust policy must let lambda.amazonaws.com assume them, nothing else."
  }
  assert {
    condition     = aws_iam_role_policy.function["relay"].role == aws_iam_role.function["relay"].id && aws_iam_role_policy.function["relay"].policy == data.aws_iam_policy_document.relay.json
    error_message = "The relay policy must be attached to the relay role."
  }
  assert {
    condition     = aws_iam_role_policy.function["replicate"].role == aws_iam_role.function["replicate"].id && aws_iam_role_policy.function["replicate"].policy == data.aws_iam_policy_document.replicate.json
    error_message = "The replicate policy must be attached to the replicate role."
  }

  # --- the relay's policy, whole
  assert {
    condition = { for s in data.aws_iam_policy_document.relay.statement : s.sid => "${coalesce(s.effect, "Allow")} ${join(",", sort(s.actions))} on ${join(",", sort(s.resources))}${length(s.condition) > 0 ? " if ..." : ""}" } == {
      Logs  = "Allow logs:CreateLogStream,logs:PutLogEvents on ${aws_cloudwatch_log_group.function["relay"].arn}:*"
      Queue = "Allow sqs:SendMessage on ${join(",", sort([aws_sqs_queue.main.arn, aws_sqs_queue.events_dlq.arn]))}"
    }
    error_message = "The relay may only write its own logs and send to the main queue and the events DLQ (its async DLQ)."
  }

  # --- the replicate function's policy, whole (docs/CONTRACTS.md)
  assert {
    condition = { for s in data.aws_iam_policy_document.replicate.statement : s.sid => "${coalesce(s.effect, "Allow")} ${join(",", sort(s.actions))} on ${join(",", sort(s.resources))}" } == {
      Logs                 = "Allow logs:CreateLogStream,logs:PutLogEvents on ${aws_cloudwatch_log_group.function["replicate"].arn}:*"
      SourceVersions       = "Allow s3:ListBucketVersions on arn:aws:s3:::source-bucket"
      SourceBucket         = "Allow s3:ListBucket on arn:aws:s3:::source-bucket"
      SourceObjects        = "Allow s3:GetObject,s3:GetObjectTagging,s3:GetObjectVersion,s3:GetObjectVersionTagging on arn:aws:s3:::source-bucket/data/*,arn:aws:s3:::source-bucket/with space/*"
      SourceKeys           = "Allow kms:Decrypt on ${var.source_kms_keys[0].arn}"
      Table                = "Allow dynamodb:BatchWriteItem,dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query on ${aws_dynamodb_table.state.arn}"
      Queue                = "Allow sqs:DeleteMessage,sqs:GetQueueAttributes,sqs:ReceiveMessage on ${aws_sqs_queue.main.arn}"
      Requeue              = "Allow sqs:SendMessage on ${aws_sqs_queue.main.arn}"
      DeadLetters          = "Allow sqs:SendMessage on ${aws_sqs_queue.dlq.arn}"
      Secrets              = "Allow secretsmanager:GetSecretValue on ${aws_secretsmanager_secret.destination["default"].arn}"
      FailureNotifications = "Allow sns:Publish on ${aws_sns_topic.alarms.arn}"
    }
    error_message = "The replicate function's policy must grant exactly what the code uses, each on its own resource (docs/CONTRACTS.md)."
  }
  assert {
    condition = { for s in data.aws_iam_policy_document.replicate.statement : s.sid => join(" / ", [for c in s.condition : "${c.test} ${c.variable} ${join(",", sort(c.values))}"]) if length(s.condition) > 0 } == {
      SourceVersions = "StringLike s3:prefix data/*,with space/*"
      SourceKeys     = "StringEquals kms:ViaService s3.us-east-1.amazonaws.com"
    }
    error_message = "Source versions may be listed only under the prefixes, and the source keys used only through S3 in the source region."
  }

  # --- the secret: one per destination, readable by the replicate role only
  assert {
    condition     = aws_secretsmanager_secret.destination["default"].name == "partition-s3-replicate-credentials" && length(aws_iam_access_key.destination) == 0 && length(aws_secretsmanager_secret_version.destination) == 0
    error_message = "The secret is named <name>-credentials, and by default no access key is created (none reaches the state)."
  }
  assert {
    condition     = aws_secretsmanager_secret_policy.destination["default"].secret_arn == aws_secretsmanager_secret.destination["default"].arn && aws_secretsmanager_secret_policy.destination["default"].block_public_policy
    error_message = "The secret must carry the secret policy, with public policies blocked."
  }
  assert {
    condition     = aws_secretsmanager_secret_policy.destination["default"].policy == data.aws_iam_policy_document.secret.json
    error_message = "The secret's policy must be the secret policy document."
  }
  assert {
    condition = [for s in data.aws_iam_policy_document.secret.statement : {
      effect     = s.effect, actions = s.actions, principals = [for p in s.principals : "${p.type}:${join(",", p.identifiers)}"]
      conditions = [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]
      }] == [{
      effect     = "Deny", actions = toset(["secretsmanager:GetSecretValue"]), principals = ["AWS:*"]
      conditions = ["StringNotEquals aws:PrincipalArn ${aws_iam_role.function["replicate"].arn}"]
    }]
    error_message = "The secret's policy must deny GetSecretValue to every principal but the replicate role."
  }

  # --- the destination side (modules/destination; its policy: tests/destination.tftest.hcl)
  assert {
    condition     = output.destination_partition == "aws-us-gov" && output.destination_account_id == "222222222222" && output.destination_region == "us-gov-west-1" && output.destination_user_name == "partition-s3-replicate"
    error_message = "The key step's outputs must come from the destination provider: partition, account id, region, user name."
  }
  assert {
    condition     = output.destinations == { default = { id = "dest-bucket", bucket = "dest-bucket", partition = "aws-us-gov", region = "us-gov-west-1", account_id = "222222222222", user_name = "partition-s3-replicate", secret_arn = aws_secretsmanager_secret.destination["default"].arn } }
    error_message = "The destinations output must list the single destination under key default."
  }

  # --- table
  assert {
    condition     = aws_dynamodb_table.state.name == "partition-s3-replicate" && aws_dynamodb_table.state.hash_key == "pk" && aws_dynamodb_table.state.range_key == "sk" && toset([for a in aws_dynamodb_table.state.attribute : "${a.name}:${a.type}"]) == toset(["pk:S", "sk:S"])
    error_message = "The table must have string keys pk and sk."
  }
  assert {
    condition     = aws_dynamodb_table.state.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.state.point_in_time_recovery[0].enabled && aws_dynamodb_table.state.server_side_encryption[0].enabled
    error_message = "The table must be on-demand, with PITR and SSE."
  }
}

run "alarms_and_dashboard" {
  command = apply

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(["relay-errors", "replicate-errors", "relay-timeouts", "replicate-timeouts", "dlq-not-empty", "events-dlq-not-empty", "oldest-message-age"])
    error_message = "Alarms: function errors and timeouts, both DLQs, the oldest message age; no duration alarm (long copies run to the checkpoint margin by design)."
  }
  assert {
    condition = { for k, a in aws_cloudwatch_metric_alarm.this : k => "${a.namespace} ${a.metric_name} ${jsonencode(a.dimensions)}" } == {
      relay-errors         = "AWS/Lambda Errors ${jsonencode({ FunctionName = aws_lambda_function.relay.function_name })}"
      replicate-errors     = "AWS/Lambda Errors ${jsonencode({ FunctionName = aws_lambda_function.replicate.function_name })}"
      relay-timeouts       = "PartitionS3Replicate/partition-s3-replicate RelayTimeouts {}"
      replicate-timeouts   = "PartitionS3Replicate/partition-s3-replicate ReplicateTimeouts {}"
      dlq-not-empty        = "AWS/SQS ApproximateNumberOfMessagesVisible ${jsonencode({ QueueName = aws_sqs_queue.dlq.name })}"
      events-dlq-not-empty = "AWS/SQS ApproximateNumberOfMessagesVisible ${jsonencode({ QueueName = aws_sqs_queue.events_dlq.name })}"
      oldest-message-age   = "AWS/SQS ApproximateAgeOfOldestMessage ${jsonencode({ QueueName = aws_sqs_queue.main.name })}"
    }
    error_message = "Each alarm must watch its own metric and resource (dimensions)."
  }
  assert {
    condition     = { for f, m in aws_cloudwatch_log_metric_filter.timeouts : f => [m.log_group_name, m.pattern, m.metric_transformation[0].name] } == { relay = [aws_cloudwatch_log_group.function["relay"].name, "{ $.record.status = \"timeout\" }", "RelayTimeouts"], replicate = [aws_cloudwatch_log_group.function["replicate"].name, "{ $.record.status = \"timeout\" }", "ReplicateTimeouts"] }
    error_message = "Each function's timeouts must be counted from its own log group."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["oldest-message-age"].threshold == 2 * 5400 && alltrue([for k, a in aws_cloudwatch_metric_alarm.this : a.threshold == 0 if k != "oldest-message-age"])
    error_message = "The age alarm must default to 2 x the visibility timeout (a single retried record does not alarm); the others fire on the first occurrence."
  }
  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : a.alarm_actions == toset([aws_sns_topic.alarms.arn]) && a.comparison_operator == "GreaterThanThreshold"])
    error_message = "Every alarm must notify the SNS topic."
  }
  assert {
    condition     = aws_cloudwatch_dashboard.this[0].dashboard_name == "partition-s3-replicate" && output.dashboard_name == "partition-s3-replicate"
    error_message = "The dashboard is named after the instance."
  }
  assert {
    condition = toset(flatten([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : [for m in w.properties.metrics : join(" ", slice(m, 0, length(m) - 1))] if w.type == "metric"])) == toset([
      "PartitionS3Replicate/partition-s3-replicate ObjectsReplicated service partition-s3-replicate",
      "PartitionS3Replicate/partition-s3-replicate BytesReplicated service partition-s3-replicate",
      "PartitionS3Replicate/partition-s3-replicate ReplicationLatency service partition-s3-replicate",
      "AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${aws_sqs_queue.main.name}",
      "AWS/SQS ApproximateNumberOfMessagesNotVisible QueueName ${aws_sqs_queue.main.name}",
      "AWS/SQS ApproximateAgeOfOldestMessage QueueName ${aws_sqs_queue.main.name}",
      "AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${aws_sqs_queue.dlq.name}",
      "AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${aws_sqs_queue.events_dlq.name}",
      "AWS/Lambda Errors FunctionName ${aws_lambda_function.relay.function_name}",
      "AWS/Lambda Throttles FunctionName ${aws_lambda_function.relay.function_name}",
      "AWS/Lambda Errors FunctionName ${aws_lambda_function.replicate.function_name}",
      "AWS/Lambda Throttles FunctionName ${aws_lambda_function.replicate.function_name}",
      "PartitionS3Replicate/partition-s3-replicate RelayTimeouts",
      "PartitionS3Replicate/partition-s3-replicate ReplicateTimeouts",
    ])
    error_message = "The dashboard must show objects, bytes, latency, pending and oldest messages, both DLQs, errors, throttles and timeouts of this instance's resources."
  }
  assert {
    condition     = [for m in flatten([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w.properties.metrics if w.properties.title == "Replication latency (event to done)"]) : m if can(m.stat)] == [{ stat = "p50" }, { stat = "p99" }]
    error_message = "The latency widget must show p50 and p99."
  }
  assert {
    condition     = one([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w.properties.query if w.type == "log"]) == "SOURCE '${aws_cloudwatch_log_group.function["replicate"].name}' | filter message = 'message disposition' and (action = 'dead-lettered' or action = 'retry') | stats count(*) as failures by action, coalesce(reason, error.name) as why | sort failures desc"
    error_message = "The dashboard must count the replicate function's failures by reason from its own log group."
  }
}

# Every option off its default at once.
run "options" {
  command = apply

  variables {
    enabled                                   = false
    maximum_concurrency                       = 5
    source_prefixes                           = []
    enable_source_eventbridge                 = true
    alarm_email                               = "ops@example.com"
    create_access_key                         = true
    tags                                      = { Application = "theirs", Team = "storage" }
    iam_role_path                             = "/replication/"
    iam_role_permissions_boundary_arn         = "arn:aws:iam::111111111111:policy/boundary"
    destination_user_path                     = "/replication/"
    destination_user_permissions_boundary_arn = "arn:aws-us-gov:iam::222222222222:policy/boundary"
    failure_topic_arn                         = "arn:aws:sns:us-east-1:111111111111:ops-failures"
    failure_topic_kms_key_arn                 = "arn:aws:kms:us-east-1:111111111111:key/bbbbbbbb-2222-3333-4444-555555555555"
    secret_kms_key_arn                        = "arn:aws:kms:us-east-1:111111111111:key/cccccccc-2222-3333-4444-555555555555"
    secret_reader_arns                        = ["arn:aws:iam::111111111111:role/operator"]
    metrics_namespace                         = "Storage/Replication"
    alarm_oldest_message_age_seconds          = 7200
    dashboard                                 = false
  }

  override_data {
    target = data.aws_iam_session_context.deployer[0]
    values = { issuer_arn = "arn:aws:iam::111111111111:role/deployer" }
  }
  override_resource {
    target = aws_iam_access_key.destination
    values = { id = "AKIAMOCKMOCKMOCKMOCK", secret = "mock/secret+access+key" }
  }

  assert {
    condition     = aws_cloudwatch_event_rule.source.state == "DISABLED" && terraform_data.replicate_since.triggers_replace == "disabled"
    error_message = "enabled = false must turn the rule off, and REPLICATE_SINCE must be taken again when it is turned on."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.replicate.scaling_config[0].maximum_concurrency == 5
    error_message = "maximum_concurrency must set the event source mapping's scaling_config."
  }
  assert {
    condition     = !can(jsondecode(aws_cloudwatch_event_rule.source.event_pattern).detail.object) && aws_s3_bucket_notification.source[0].eventbridge && aws_s3_bucket_notification.source[0].bucket == "source-bucket"
    error_message = "Without source_prefixes the rule matches every key, and enable_source_eventbridge turns on the source bucket's EventBridge notifications."
  }
  assert {
    condition     = aws_sqs_queue.main.tags == tomap({ Application = "theirs", Environment = "dev", Team = "storage" }) && aws_iam_role.function["replicate"].tags == aws_sqs_queue.main.tags && aws_lambda_event_source_mapping.replicate.tags == aws_sqs_queue.main.tags && aws_cloudwatch_event_rule.source.tags == aws_sqs_queue.main.tags
    error_message = "Caller tags must win over the module's, on every taggable resource."
  }
  assert {
    condition     = alltrue([for r in aws_iam_role.function : r.path == "/replication/" && r.permissions_boundary == "arn:aws:iam::111111111111:policy/boundary"])
    error_message = "iam_role_path and iam_role_permissions_boundary_arn must reach both roles."
  }
  assert {
    condition     = aws_lambda_function.replicate.environment[0].variables["FAILURE_TOPIC_ARN"] == "arn:aws:sns:us-east-1:111111111111:ops-failures" && aws_lambda_function.replicate.environment[0].variables["POWERTOOLS_METRICS_NAMESPACE"] == "Storage/Replication"
    error_message = "failure_topic_arn and metrics_namespace must reach the replicate function."
  }
  assert {
    condition = { for s in data.aws_iam_policy_document.replicate.statement : s.sid => "${join(",", sort(s.actions))} on ${join(",", sort(s.resources))}${join("", [for c in s.condition : " if ${c.test} ${c.variable} ${join(",", c.values)}"])}" if contains(["FailureNotifications", "FailureTopicKey", "SecretKey"], s.sid) } == {
      FailureNotifications = "sns:Publish on arn:aws:sns:us-east-1:111111111111:ops-failures"
      FailureTopicKey      = "kms:Decrypt,kms:GenerateDataKey on ${var.failure_topic_kms_key_arn} if StringEquals kms:ViaService sns.us-east-1.amazonaws.com"
      SecretKey            = "kms:Decrypt on ${var.secret_kms_key_arn} if StringEquals kms:ViaService secretsmanager.us-east-1.amazonaws.com"
    }
    error_message = "The function may publish to the failure topic only, and use the topic's and the secret's keys only through SNS and Secrets Manager."
  }
  assert {
    condition     = sort(flatten([for s in data.aws_iam_policy_document.secret.statement : [for c in s.condition : tolist(c.values)]])) == sort([aws_iam_role.function["replicate"].arn, "arn:aws:iam::111111111111:role/operator", "arn:aws:iam::111111111111:role/deployer"])
    error_message = "secret_reader_arns, and with create_access_key the deploying role (Terraform reads the secret version back), must be added to the secret's readers."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["oldest-message-age"].threshold == 7200 && length(aws_cloudwatch_dashboard.this) == 0 && output.dashboard_name == null
    error_message = "alarm_oldest_message_age_seconds must set the age alarm; dashboard = false creates none."
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
      output.destination_partition, output.destination_account_id, output.destination_region, jsonencode(output.destinations),
    ] : !strcontains(v, "AKIAMOCK") && !strcontains(v, "mock/secret")])
    error_message = "No output may contain the access key id or the secret access key."
  }
  assert {
    condition = jsondecode(aws_secretsmanager_secret_version.destination[0].secret_string) == {
      user      = "partition-s3-replicate", accesskey = "AKIAMOCKMOCKMOCKMOCK", secretaccesskey = "mock/secret+access+key"
      partition = "aws-us-gov", accountid = "222222222222", region = "us-gov-west-1"
    } && aws_secretsmanager_secret_version.destination[0].secret_id == aws_secretsmanager_secret.destination["default"].id
    error_message = "With create_access_key the secret must hold user, accesskey, secretaccesskey, partition, accountid and region of the destination side."
  }
  assert {
    condition     = aws_iam_access_key.destination[0].user == output.destination_user_name
    error_message = "The access key must belong to the destination user."
  }
}

run "reject_source_bucket_in_another_region" {
  command = plan

  override_data {
    target = data.aws_s3_bucket.source
    values = { bucket_region = "us-west-2" }
  }

  expect_failures = [aws_cloudwatch_event_rule.source]
}

run "reject_messages_expiring_before_the_dlq" {
  command = plan

  variables {
    max_receive_count = 300 # 300 x 5400 s > 14 days
  }

  expect_failures = [aws_sqs_queue.main]
}
