################################################################################
# Queues
################################################################################

output "queue_url" {
  description = "URL of the FIFO queue the relay function writes to."
  value       = aws_sqs_queue.main.url
}

output "queue_arn" {
  description = "ARN of the FIFO queue."
  value       = aws_sqs_queue.main.arn
}

output "dlq_url" {
  description = "URL of the FIFO dead-letter queue of the replicate function."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  description = "ARN of the FIFO dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "events_dlq_url" {
  description = "URL of the dead-letter queue of events the relay function could not take."
  value       = aws_sqs_queue.events_dlq.url
}

output "events_dlq_arn" {
  description = "ARN of the events dead-letter queue."
  value       = aws_sqs_queue.events_dlq.arn
}

################################################################################
# Functions and state
################################################################################

output "relay_function_name" {
  description = "Name of the relay function."
  value       = aws_lambda_function.relay.function_name
}

output "replicate_function_name" {
  description = "Name of the replicate function."
  value       = aws_lambda_function.replicate.function_name
}

output "replicate_role_arn" {
  description = "ARN of the replicate function's role (e.g. for the source keys' key policies)."
  value       = aws_iam_role.function["replicate"].arn
}

output "table_name" {
  description = "Name of the DynamoDB state table."
  value       = aws_dynamodb_table.state.name
}

output "replicate_since" {
  description = "REPLICATE_SINCE: when the rule was first enabled (after it, its target and permission existed); older versions are left to the backfill."
  value       = terraform_data.replicate_since.output
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule on the source bucket's events."
  value       = aws_cloudwatch_event_rule.source.arn
}

################################################################################
# Destinations and the one-time key step (never the key itself)
################################################################################

output "secret_arn" {
  description = "destination_bucket: ARN of the secret that holds the destination user's access key (value not exported); null with destinations."
  value       = try(aws_secretsmanager_secret.destination["default"].arn, null)
}

output "destination_user_name" {
  description = "destination_bucket: name of the IAM user in the destination account; null with destinations."
  value       = one(module.destination[*].user_name)
}

output "destination_user_arn" {
  description = "destination_bucket: ARN of the IAM user in the destination account; null with destinations."
  value       = one(module.destination[*].user_arn)
}

output "destination_partition" {
  description = "destination_bucket: partition of the destination account (the secret's partition field); null with destinations."
  value       = one(module.destination[*].partition)
}

output "destination_account_id" {
  description = "destination_bucket: destination account id (the secret's accountid field); null with destinations."
  value       = one(module.destination[*].account_id)
}

output "destination_region" {
  description = "destination_bucket: region of the destination bucket (the secret's region field); null with destinations."
  value       = one(module.destination[*].region)
}

output "destinations" {
  description = "Every destination by key (\"default\" for destination_bucket): id, bucket, partition, region, account_id, user_name and secret_arn, what the one-time key step needs."
  value = { for k, d in local.destinations : k => {
    id         = d.id
    bucket     = d.bucket
    partition  = d.partition
    region     = d.region
    account_id = d.account_id
    user_name  = d.user_name
    secret_arn = aws_secretsmanager_secret.destination[k].arn
  } }
}

################################################################################
# Alarms
################################################################################

output "sns_topic_arn" {
  description = "ARN of the SNS topic the alarms notify."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard; null when dashboard is false."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

output "failure_topic_arn" {
  description = "SNS topic the replicate function notifies of each dead-lettered record; null when failure_notifications is false."
  value       = local.failure_topic_arn
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the functions' metrics (dimension service = name)."
  value       = local.metrics_namespace
}
